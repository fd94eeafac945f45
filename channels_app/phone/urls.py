"""Twilio-format webhooks (mounted at /channels/phone/)."""

from __future__ import annotations

from django.urls import path

from channels_app.phone import views

app_name = "phone"
urlpatterns = [
    path("voice/", views.voice, name="voice"),
    path("recording/", views.recording, name="recording"),
    path("status/", views.status, name="status"),
    path("sms/", views.sms, name="sms"),
]
