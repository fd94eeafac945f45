"""REST API over tickets, messages and customers.

Thin by design: parse with an input serializer, load through
``inbox.selectors`` (which also decides visibility), call an
``inbox.actions`` function, render with an output serializer. Domain
refusals (ActionError, StaleReply) propagate to ``inbox.api.errors``.
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from inbox import actions
from inbox.api.pagination import CustomerCursorPagination, TicketKeysetPagination
from inbox.api.permissions import CanWorkTicket, IsInboxStaff
from inbox.api.serializers import (
    AssignInputSerializer,
    CustomerDetailSerializer,
    CustomerSerializer,
    ErrorSerializer,
    MessageSerializer,
    NoteInputSerializer,
    ReplyInputSerializer,
    StaleReplySerializer,
    StatusInputSerializer,
    TicketDetailSerializer,
    TicketFilterSerializer,
    TicketSerializer,
)
from inbox.models import Customer, Message, Ticket
from inbox.selectors import (
    TicketFilters,
    customer_other_tickets,
    customers_visible_to,
    ticket_detail,
    ticket_list,
    tickets_visible_to,
)

# How much of a customer's history the customer endpoint shows.
CUSTOMER_TICKETS_LIMIT = 50

ERROR_400 = OpenApiResponse(ErrorSerializer, description="Bad input; `detail` says what is allowed.")
ERROR_404 = OpenApiResponse(ErrorSerializer, description="No such ticket in a queue you work.")

STAFF_ONLY = [IsAuthenticated, IsInboxStaff]


class StaffAPIMixin:
    # Token first: DRF takes the challenge from the first class, so a client
    # without credentials gets 401 + "WWW-Authenticate: Token" rather than a
    # bare 403. A browser session still works (no header -> session is tried).
    authentication_classes = [TokenAuthentication, SessionAuthentication]


class TicketViewSet(StaffAPIMixin, viewsets.GenericViewSet):
    permission_classes = [*STAFF_ONLY, CanWorkTicket]
    serializer_class = TicketSerializer
    pagination_class = TicketKeysetPagination
    lookup_value_converter = "int"

    # The browsable API builds its forms from get_serializer(): show the input
    # each action actually takes.
    input_serializers = {
        "reply": ReplyInputSerializer,
        "assign": AssignInputSerializer,
        "set_status": StatusInputSerializer,
        "add_note": NoteInputSerializer,
    }

    def get_serializer_class(self):
        return self.input_serializers.get(self.action, TicketSerializer)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Ticket.objects.none()
        return tickets_visible_to(self.request.user)

    def _ticket(self, pk: int) -> Ticket:
        # Visibility is decided by the selector's queryset: another queue's
        # ticket is simply not found (404), never "forbidden".
        ticket = self.get_queryset().filter(pk=pk).first()
        if ticket is None:
            raise Http404
        self.check_object_permissions(self.request, ticket)
        return ticket

    @extend_schema(
        summary="Tickets in the queues you work, most recently updated first",
        parameters=[TicketFilterSerializer],
        responses={200: TicketSerializer(many=True), 400: ERROR_400},
    )
    def list(self, request: Request) -> Response:
        query = TicketFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        tickets = ticket_list(user=request.user, filters=TicketFilters(**query.validated_data))
        page = self.paginate_queryset(tickets)
        return self.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(summary="A ticket with its messages and customer", responses={200: TicketDetailSerializer, 404: ERROR_404})
    def retrieve(self, request: Request, pk: int) -> Response:
        ticket = ticket_detail(user=request.user, pk=pk)
        if ticket is None:
            raise Http404
        self.check_object_permissions(request, ticket)
        return Response(TicketDetailSerializer(ticket).data)

    @extend_schema(
        summary="Reply to the customer",
        description=(
            "Stores the reply as `queued` and delivers it after commit; follow its `status`. "
            "With `last_seen_message_id`, a reply written before newer customer or colleague messages "
            "is refused with 409 and those messages, and nothing is stored."
        ),
        request=ReplyInputSerializer,
        responses={
            201: MessageSerializer,
            400: ERROR_400,
            404: ERROR_404,
            409: OpenApiResponse(StaleReplySerializer, description="Newer messages arrived; read them first."),
        },
    )
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: int) -> Response:
        ticket = self._ticket(pk)
        body = ReplyInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = actions.reply(
            ticket=ticket,
            author=request.user,
            body=body.validated_data["body"],
            channel=body.validated_data.get("channel"),
            last_seen_message_id=body.validated_data.get("last_seen_message_id"),
            resolution_version=body.validated_data.get("resolution_version"),
            off_playbook_reason=body.validated_data.get("off_playbook_reason"),
            exception_reason=body.validated_data.get("exception_reason"),
        )
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Assign the ticket (or unassign with null)",
        request=AssignInputSerializer,
        responses={200: TicketSerializer, 400: ERROR_400, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: int) -> Response:
        ticket = self._ticket(pk)
        body = AssignInputSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        ticket = actions.assign(ticket=ticket, assignee=body.validated_data["assignee"], by=request.user)
        return Response(TicketSerializer(ticket).data)

    @extend_schema(
        summary="Change the ticket's status",
        request=StatusInputSerializer,
        responses={200: TicketSerializer, 400: ERROR_400, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, pk: int) -> Response:
        ticket = self._ticket(pk)
        body = StatusInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = actions.set_status(ticket=ticket, status=body.validated_data["status"], by=request.user)
        return Response(TicketSerializer(ticket).data)

    @extend_schema(
        summary="Add an internal note (never sent to the customer)",
        request=NoteInputSerializer,
        responses={201: MessageSerializer, 400: ERROR_400, 404: ERROR_404},
    )
    @action(detail=True, methods=["post"], url_path="notes", url_name="notes")
    def add_note(self, request: Request, pk: int) -> Response:
        ticket = self._ticket(pk)
        body = NoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = actions.add_note(ticket=ticket, author=request.user, body=body.validated_data["body"])
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)


class MessageViewSet(StaffAPIMixin, viewsets.GenericViewSet):
    permission_classes = [*STAFF_ONLY, CanWorkTicket]
    serializer_class = MessageSerializer
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Message.objects.none()
        return Message.objects.filter(ticket__in=tickets_visible_to(self.request.user)).select_related("ticket")

    @extend_schema(
        summary="Send a failed or unconfirmed outbound message again",
        request=None,
        responses={200: MessageSerializer, 400: ERROR_400, 404: OpenApiResponse(ErrorSerializer, description="No such message on a ticket you may see.")},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: int) -> Response:
        message = self.get_queryset().filter(pk=pk).first()
        if message is None:
            raise Http404
        self.check_object_permissions(request, message)
        message = actions.message_retry(message=message, by=request.user)
        return Response(MessageSerializer(message).data)


@extend_schema_view(
    list=extend_schema(summary="Customers with tickets in the queues you work, newest first"),
    retrieve=extend_schema(
        summary="A customer with identities and tickets on every channel",
        responses={200: CustomerDetailSerializer, 404: OpenApiResponse(ErrorSerializer)},
    ),
)
class CustomerViewSet(StaffAPIMixin, viewsets.GenericViewSet):
    permission_classes = STAFF_ONLY
    serializer_class = CustomerSerializer
    pagination_class = CustomerCursorPagination
    lookup_value_converter = "int"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        return customers_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CustomerSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: int) -> Response:
        customer = self.get_queryset().filter(pk=pk).first()
        if customer is None:
            raise Http404
        # The whole history across queues and channels, as on the ticket page:
        # whoever answers must see what was promised elsewhere.
        tickets = customer_other_tickets(customer=customer, limit=CUSTOMER_TICKETS_LIMIT)
        return Response(CustomerDetailSerializer(customer, context={"tickets": tickets}).data)
