"""/api/care/: export and erase a customer (supervisors only), with the same audit trail as the UI."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from care import actions
from inbox.models import Customer
from inbox.permissions import is_supervisor


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
