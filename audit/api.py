"""Read-only API of the audit: findings and scores (supervisors only)."""

from __future__ import annotations

from django.urls import path
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit import selectors
from audit.models import Finding
from inbox.permissions import is_supervisor


class IsSupervisor(BasePermission):
    message = "Only supervisors can read the audit."

    def has_permission(self, request, view) -> bool:
        return is_supervisor(request.user)


class FindingSerializer(serializers.ModelSerializer):
    topic = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    agent = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "kind", "severity", "status", "topic", "resolution", "agent", "summary", "details", "message_ids",
                  "created_at", "updated_at", "triaged_at"]


class ScoreSerializer(serializers.Serializer):
    dimension = serializers.CharField(help_text="channel, topic, agent, queue (over the period), or week_channel, week_topic, week_agent, week_queue (per week)")
    key = serializers.CharField(help_text="the channel, or the topic/agent/queue id; per week 'YYYY-MM-DD/<key>' (the week's Monday)")
    score = serializers.FloatField(allow_null=True, help_text="percent of judged answers (exceptions left out) that follow the current playbook")
    total = serializers.IntegerField()
    following = serializers.IntegerField()
    exceptions = serializers.IntegerField()
    off_playbook = serializers.IntegerField()
    stale = serializers.IntegerField()


class FindingPagination(CursorPagination):
    ordering = "-id"


class FindingList(ListAPIView):
    pagination_class = FindingPagination
    permission_classes = [IsAuthenticated, IsSupervisor]
    serializer_class = FindingSerializer

    def get_queryset(self):
        status = self.request.query_params.get("status", "")
        kind = self.request.query_params.get("kind", "")
        if status and status not in Finding.Status.values:
            raise ValidationError({"status": f"Unknown status; use one of {', '.join(Finding.Status.values)}."})
        if kind and kind not in Finding.Kind.values:
            raise ValidationError({"kind": f"Unknown kind; use one of {', '.join(Finding.Kind.values)}."})
        return selectors.findings(status=status, kind=kind)


class ScoreList(APIView):
    permission_classes = [IsAuthenticated, IsSupervisor]
    serializer_class = ScoreSerializer

    def get(self, request):
        return Response(ScoreSerializer(selectors.score_rows(), many=True).data)


urlpatterns = [
    path("findings/", FindingList.as_view(), name="audit-findings"),
    path("scores/", ScoreList.as_view(), name="audit-scores"),
]
