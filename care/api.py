"""/api/care/: export and erase a customer (supervisors only), and a
customer's care preferences (tier, opt-out, follow-up consent), each change
through ``care.actions`` with the same audit trail as the UI."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from django.http import Http404
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response

from care import actions, selectors
from care.models import Tier
from inbox.api.permissions import IsInboxStaff
from inbox.api.serializers import ErrorSerializer
from inbox.api.views import ERROR_400, StaffAPIMixin
from inbox.models import Customer
from inbox.permissions import is_supervisor
from inbox.selectors import customers_visible_to


class IsSupervisor(BasePermission):
    message = "Only supervisors may export or erase customers."

    def has_permission(self, request, view) -> bool:
        return is_supervisor(request.user)


@extend_schema(
    summary="Export a customer's data (JSON)", responses={200: OpenApiTypes.OBJECT}, tags=["care"],
    description="Everything Unisono holds about the customer. Supervisors only; recorded in the privacy audit trail.",
)
@api_view(["GET"])
@permission_classes([IsSupervisor])
def customer_export(request, pk: int) -> Response:
    customer = get_object_or_404(Customer, pk=pk)
    return Response(actions.export_customer(customer=customer, actor=request.user, via="api"))


@extend_schema(
    summary="Erase a customer's personal data",
    request=inline_serializer("EraseRequest", fields={"confirm": serializers.CharField(help_text='Must be "ERASE".')}),
    responses={
        200: inline_serializer(
            "EraseResult",
            fields={"erased": serializers.IntegerField(), "audit": serializers.IntegerField(), "counts": serializers.DictField()},
        )
    },
    tags=["care"],
    description="Messages anonymised, identities deleted, event payloads scrubbed; counts kept. Supervisors only; audited.",
)
@api_view(["POST"])
@permission_classes([IsSupervisor])
def customer_erase(request, pk: int) -> Response:
    customer = get_object_or_404(Customer, pk=pk)
    if request.data.get("confirm") != "ERASE":
        return Response({"detail": 'Send {"confirm": "ERASE"}: erasing cannot be undone.'}, status=400)
    audit = actions.erase_customer(customer=customer, actor=request.user, via="api")
    return Response({"erased": customer.pk, "audit": audit.pk, "counts": audit.counts})


class CustomerPreferencesSerializer(serializers.Serializer):
    """A customer's care preferences; on PATCH, the ones to change."""

    customer = serializers.IntegerField(read_only=True)
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False, help_text="VIP customers get tighter SLA targets.",
        error_messages={"invalid_choice": f'"{{input}}" is not a tier; use one of {", ".join(Tier.values)}.'},
    )
    opted_out = serializers.BooleanField(required=False, help_text="No surveys or follow-ups at all.")
    opted_out_at = serializers.DateTimeField(read_only=True, allow_null=True)
    consent_follow_up = serializers.BooleanField(
        required=False, help_text="Agreed to a follow-up message days after solving. Giving it lifts an opt-out."
    )
    consent_source = serializers.ChoiceField(
        choices=[source for source in actions.CONSENT_SOURCES if source], required=False, write_only=True,
        help_text='Where the customer said so, when not in writing: "phone".',
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs.keys() & {"tier", "opted_out", "consent_follow_up"}:
            raise serializers.ValidationError("Send at least one of tier, opted_out, consent_follow_up.")
        return attrs


class CanCareForCustomer(BasePermission):
    """Supervisors: any customer, every preference. Agents: customers with a
    ticket in a queue they work (others are not found), and only to record
    consent (a tier or an opt-out is a supervisor's call)."""

    message = "Only supervisors may change a customer's tier or opt-out; agents may record consent."

    def has_object_permission(self, request, view, obj) -> bool:
        if not customers_visible_to(request.user).filter(pk=obj.pk).exists():
            raise Http404
        if request.method in SAFE_METHODS or is_supervisor(request.user):
            return True
        return not request.data.keys() & {"tier", "opted_out"}


ERROR_403 = OpenApiResponse(ErrorSerializer, description="Only supervisors may change a tier or an opt-out.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="No such customer among those of your queues.")


class CustomerPreferencesView(StaffAPIMixin, GenericAPIView):
    permission_classes = [IsAuthenticated, IsInboxStaff, CanCareForCustomer]
    serializer_class = CustomerPreferencesSerializer
    queryset = Customer.objects.all()

    @extend_schema(summary="A customer's care preferences", tags=["care"], responses={200: CustomerPreferencesSerializer})
    def get(self, request, pk: int) -> Response:
        return Response(CustomerPreferencesSerializer(selectors.preferences(self.get_object())).data)

    @extend_schema(
        summary="Change a customer's tier, opt-out or follow-up consent",
        description=(
            "Send only what changes. Each change is recorded in the privacy audit trail (who, when, via api). "
            "Supervisors may change everything; agents of the customer's queues may record consent."
        ),
        tags=["care"],
        request=CustomerPreferencesSerializer,
        responses={200: CustomerPreferencesSerializer, 400: ERROR_400, 403: ERROR_403, 404: ERROR_404},
    )
    def patch(self, request, pk: int) -> Response:
        customer = self.get_object()
        incoming = CustomerPreferencesSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        change = actions.PreferenceChange(
            tier=data.get("tier"), opted_out=data.get("opted_out"), consent_follow_up=data.get("consent_follow_up"),
            consent_source=data.get("consent_source", ""),
        )
        # A refusal (ActionError) is a 400 with its message (inbox.api.errors).
        actions.update_preferences(customer=customer, change=change, actor=request.user, via="api")
        customer.refresh_from_db()
        return Response(CustomerPreferencesSerializer(selectors.preferences(customer)).data)
