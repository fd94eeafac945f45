"""Customer-facing URLs (mounted at the site root)."""

from __future__ import annotations

from django.urls import path

from channels_app.webform import views

app_name = "webform"

urlpatterns = [
    path("", views.home, name="home"),
    path("contact/", views.contact, name="contact"),
    path("contact/thanks/<str:token>/", views.thanks, {"kind": "contact"}, name="contact_thanks"),
    path("callback/", views.callback, name="callback"),
    path("callback/thanks/<str:token>/", views.thanks, {"kind": "callback"}, name="callback_thanks"),
    path("t/<str:token>/", views.ticket_page, name="ticket"),
]
