"""Shapes of the API: output serializers render what selectors loaded (no
queries of their own beyond what the selector prefetched); input serializers
only parse and validate — the decisions are made by ``inbox.actions``."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.models import Channel, Customer, Identity, Message, Ticket
from inbox.selectors import URGENCY_FILTERS


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _choices_text(values: list[str]) -> str:
    return ", ".join(values)


# --- output ---------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.CharField(read_only=True)


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, customer: Customer) -> str:
        return str(customer)


class IdentitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Identity
        fields = ["id", "kind", "value", "handle", "created_at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    author = UserRefSerializer(read_only=True, allow_null=True, help_text="The agent; null for the customer's messages.")

    class Meta:
        model = Message
        fields = ["id", "direction", "channel", "author", "body", "status", "status_detail", "created_at", "sent_at"]
        read_only_fields = fields


class TicketSerializer(serializers.ModelSerializer):
    """One row of the ticket list."""

    reference = serializers.CharField(read_only=True, help_text='"T-" followed by the ticket number.')
    queue = NamedRefSerializer(read_only=True)
    assignee = UserRefSerializer(read_only=True, allow_null=True)
    customer = CustomerRefSerializer(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "subject",
            "status",
            "priority",
            "queue",
            "assignee",
            "customer",
            "origin_channel",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerDetailRefSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "language", "consent_follow_up", "identities"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    customer = CustomerDetailRefSerializer(read_only=True)
    messages = MessageSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "first_response_at", "solved_at", "messages"]
        read_only_fields = fields


class CustomerTicketSerializer(TicketSerializer):
    """A ticket in a customer's history (the customer is the one you are looking at)."""

    customer = None  # drop the inherited field: it would repeat the customer on every row

    class Meta(TicketSerializer.Meta):
        fields = [field for field in TicketSerializer.Meta.fields if field != "customer"]
        read_only_fields = fields


class CustomerSerializer(serializers.ModelSerializer):
    identities = IdentitySerializer(many=True, read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "name", "language", "consent_follow_up", "identities", "created_at", "updated_at"]
        read_only_fields = fields


class CustomerDetailSerializer(CustomerSerializer):
    tickets = serializers.SerializerMethodField(help_text="The customer's tickets on every channel, newest first.")

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "tickets"]
        read_only_fields = fields

    @extend_schema_field(CustomerTicketSerializer(many=True))
    def get_tickets(self, customer: Customer) -> list[dict]:
        return CustomerTicketSerializer(self.context["tickets"], many=True).data


class StaleReplySerializer(serializers.Serializer):
    detail = serializers.CharField()
    newer_messages = MessageSerializer(many=True, help_text="What was written since `last_seen_message_id`.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, fit to show the user.")
    errors = serializers.DictField(
        required=False, help_text="Per-field messages, when the request body or query failed validation."
    )


# --- input ----------------------------------------------------------------------------


def _body_field() -> serializers.CharField:
    # Blank is let through on purpose: the action owns that rule and its wording.
    return serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=settings.UNISONO_MAX_MESSAGE_LENGTH,
        error_messages={"max_length": "Keep it under {max_length} characters."},
    )


class ReplyInputSerializer(serializers.Serializer):
    body = _body_field()
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Defaults to the channel of the customer's latest message.",
        error_messages={"invalid_choice": f'"{{input}}" is not a channel; use one of {_choices_text(Channel.values)}.'},
    )
    last_seen_message_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The newest message the agent has read; a reply written before newer ones is refused with 409.",
    )
    # Which playbook answer this reply is (resolutions.AnswerRecord); none of
    # them: recorded as off-playbook with the reason "not given".
    resolution_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The id of the playbook answer version used."
    )
    off_playbook_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Why no playbook answer fits."
    )
    exception_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500,
        help_text="With resolution_version: why this is an exception; the customer is told it is a one-off gesture.",
    )


class NoteInputSerializer(serializers.Serializer):
    body = _body_field()


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string", "enum": ["me"]}],
        "nullable": True,
        "description": 'A user id, "me", or null to unassign.',
    }
)
class AssigneeField(serializers.Field):
    """A user id, "me" or null; resolves to an active user (or None)."""

    default_error_messages = {
        "invalid": 'Use a user id, "me", or null to unassign.',
        "unknown": "There is no active user with id {value}.",
    }

    def to_internal_value(self, data):
        request = self.context["request"]
        if data == "me":
            return request.user
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and data.isdigit())):
            self.fail("invalid")
        user = get_user_model().objects.filter(pk=int(data), is_active=True).first()
        if user is None:
            self.fail("unknown", value=int(data))
        return user

    def to_representation(self, value):
        return value.pk if value is not None else None


class AssignInputSerializer(serializers.Serializer):
    assignee = AssigneeField(allow_null=True)


class StatusInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Ticket.Status.choices,
        error_messages={
            "invalid_choice": f'"{{input}}" is not a status; use one of {_choices_text(Ticket.Status.values)}.'
        },
    )


# --- query parameters -----------------------------------------------------------------

STATUS_FILTER_VALUES = [*Ticket.Status.values, "active"]


class TicketFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=STATUS_FILTER_VALUES,
        required=False,
        help_text='A ticket status, or "active" for new, open and pending.',
        error_messages={"invalid_choice": f'"{{input}}" is not a status; use one of {_choices_text(STATUS_FILTER_VALUES)}.'},
    )
    queue = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="A queue id.",
        error_messages={"invalid": "Use a queue id (a whole number).", "min_value": "Use a queue id (a whole number)."},
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="The channel the ticket started on.",
        error_messages={"invalid_choice": f'"{{input}}" is not a channel; use one of {_choices_text(Channel.values)}.'},
    )
    assignee = serializers.RegexField(
        r"^(me|none|[1-9][0-9]*)$",
        required=False,
        help_text='"me", "none" (unassigned) or a user id.',
        error_messages={"invalid": 'Use "me", "none" or a user id.'},
    )
    urgency = serializers.ChoiceField(
        choices=list(URGENCY_FILTERS),
        required=False,
        help_text='Active tickets by SLA state: "breached", "at_risk" (about to breach) or "urgent" (either).',
        error_messages={"invalid_choice": f'"{{input}}" is not an urgency; use one of {_choices_text(list(URGENCY_FILTERS))}.'},
    )

