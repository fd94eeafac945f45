"""Playbook API: suggestions for a text, and an answer rendered for a ticket.

Staff only (agents and supervisors), like the rest of /api/. Errors use the
API's one shape (``{"detail": ...}``, see inbox.api.errors).
"""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inbox import selectors as inbox_selectors
from inbox.api.permissions import IsInboxStaff
from inbox.models import Channel
from resolutions import rendering, selectors, suggest
from resolutions.language import detect

MAX_TEXT = 5000


class SuggestInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=MAX_TEXT, trim_whitespace=True,
        error_messages={"blank": "Give the customer's text to find suggestions for.", "required": "Give the customer's text to find suggestions for."},
    )
    language = serializers.RegexField(
        r"^[a-z]{2,3}$", required=False, allow_blank=True,
        error_messages={"invalid": "language is a code such as en, nl, da or nb."},
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=20, default=5)


class SuggestionSerializer(serializers.Serializer):
    topic = serializers.CharField(help_text="topic slug")
    topic_name = serializers.CharField()
    resolution = serializers.CharField(help_text="resolution slug")
    title = serializers.CharField()
    policy = serializers.CharField()
    version = serializers.IntegerField(help_text="id of the live version: pass it to render and to reply")
    score = serializers.FloatField()


class SuggestView(APIView):
    permission_classes = [IsInboxStaff]

    @extend_schema(
        summary="Rank playbook resolutions for a customer's text",
        request=SuggestInputSerializer,
        responses={200: SuggestionSerializer(many=True)},
    )
    def post(self, request: Request) -> Response:
        data = SuggestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        text = data.validated_data["text"]
        language = data.validated_data.get("language") or detect(text)
        found = suggest.suggest(text, language=language, limit=data.validated_data["limit"])
        return Response([suggestion.as_dict() for suggestion in found])


class RenderInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    ticket = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    language = serializers.RegexField(r"^[a-z]{2,3}$", required=False, allow_blank=True)


class RenderOutputSerializer(serializers.Serializer):
    text = serializers.CharField()
    language = serializers.CharField()
    channel = serializers.CharField(help_text="the answer channel whose wording was used")
    fell_back = serializers.BooleanField()
    problems = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()
    resolution = serializers.CharField()
    policy = serializers.CharField()


class RenderView(APIView):
    """The text "insert" puts in the composer: the variant for the channel and
    the customer's language, placeholders filled."""

    permission_classes = [IsInboxStaff]

    @extend_schema(summary="Render a playbook answer for a ticket", request=RenderInputSerializer, responses={200: RenderOutputSerializer})
    def post(self, request: Request) -> Response:
        data = RenderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = inbox_selectors.visible_ticket(user=request.user, pk=data.validated_data["ticket"])
        if ticket is None:
            raise Http404("No such ticket.")
        version = selectors.current_version(data.validated_data["version"])
        if version is None:
            return Response(
                {"detail": "That playbook answer was updated or retired; pick the suggestion again."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        from inbox.actions import default_reply_channel

        channel = data.validated_data.get("channel") or default_reply_channel(ticket)
        language = data.validated_data.get("language") or ticket.customer.language or rendering.FALLBACK_LANGUAGE
        user = request.user
        rendered = rendering.render_version(
            version, channel=channel, language=language, first_name=ticket.customer.first_name,
            ticket_ref=ticket.reference, agent_name=user.get_full_name() or user.get_username(),
        )
        return Response(
            {
                "text": rendered.text, "language": rendered.language, "channel": rendered.channel,
                "fell_back": rendered.fell_back, "problems": rendered.problems, "version": version.pk,
                "resolution": version.resolution.slug, "policy": version.policy,
            }
        )


class ConfirmTopicInputSerializer(serializers.Serializer):
    ticket = serializers.IntegerField(min_value=1)
    topic = serializers.SlugField(max_length=80)


class ConfirmTopicOutputSerializer(serializers.Serializer):
    topic = serializers.CharField()
    confirmation = serializers.IntegerField()
    review = serializers.CharField()


class ConfirmTopicView(APIView):
    """An agent's one click: "this ticket is about <topic>". The customer's
    text becomes an example only after a supervisor approves it."""

    permission_classes = [IsInboxStaff]

    @extend_schema(summary="Confirm the topic of a ticket", request=ConfirmTopicInputSerializer, responses={201: ConfirmTopicOutputSerializer})
    def post(self, request: Request) -> Response:
        from resolutions import actions
        from resolutions.models import Topic

        data = ConfirmTopicInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = inbox_selectors.visible_ticket(user=request.user, pk=data.validated_data["ticket"])
        if ticket is None:
            raise Http404("No such ticket.")
        topic = Topic.objects.filter(slug=data.validated_data["topic"]).first()
        if topic is None:
            return Response({"detail": "There is no such topic in the playbook."}, status=status.HTTP_400_BAD_REQUEST)
        confirmation = actions.topic_confirm(ticket=ticket, topic=topic, by=request.user)
        return Response({"topic": topic.slug, "confirmation": confirmation.pk, "review": confirmation.review}, status=status.HTTP_201_CREATED)
