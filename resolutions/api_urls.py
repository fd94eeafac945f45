from __future__ import annotations

from django.urls import path

from resolutions import api

app_name = "playbook-api"

urlpatterns = [
    path("suggest/", api.SuggestView.as_view(), name="suggest"),
    path("render/", api.RenderView.as_view(), name="render"),
    path("confirm-topic/", api.ConfirmTopicView.as_view(), name="confirm"),
]
