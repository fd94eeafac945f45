"""/api/care/: export and erase a customer (supervisors only), with the same audit trail as the UI."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
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


@api_view(["GET"])
@permission_classes([IsSupervisor])
def customer_export(request, pk: int) -> Response:
    customer = get_object_or_404(Customer, pk=pk)
    return Response(actions.export_customer(customer=customer, actor=request.user, via="api"))


@api_view(["POST"])
@permission_classes([IsSupervisor])
def customer_erase(request, pk: int) -> Response:
    customer = get_object_or_404(Customer, pk=pk)
    if request.data.get("confirm") != "ERASE":
        return Response({"detail": 'Send {"confirm": "ERASE"}: erasing cannot be undone.'}, status=400)
    audit = actions.erase_customer(customer=customer, actor=request.user, via="api")
    return Response({"erased": customer.pk, "audit": audit.pk, "counts": audit.counts})
