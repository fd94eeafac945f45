from __future__ import annotations

from django.urls import path

from channels_app.social import views

app_name = "social"
urlpatterns = [
    path("webhook/", views.webhook, name="webhook"),
    path("webhook/<str:account>/", views.webhook, name="webhook_for_app"),
    path("health/", views.health_banner, name="health"),
    path("poll/", views.poll_now, name="poll"),
    path("gaps/<int:gap_id>/acknowledge/", views.acknowledge_gap, name="acknowledge_gap"),
]
