from __future__ import annotations

from django.urls import path

from inbox import views, views_phone

app_name = "inbox"
urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("t/<int:pk>/", views.ticket_detail, name="ticket"),
    path("t/<int:pk>/reply/", views.ticket_reply, name="reply"),
    path("t/<int:pk>/note/", views.ticket_note, name="note"),
    path("t/<int:pk>/assign/", views.ticket_assign, name="assign"),
    path("t/<int:pk>/status/", views.ticket_status, name="status"),
    path("t/<int:pk>/messages/<int:message_id>/retry/", views.message_retry, name="retry"),
    # Partials the live client (static/unisono/live.js) fetches on websocket frames.
    path("rows/", views.ticket_rows, name="rows"),
    path("t/<int:pk>/messages/<int:message_id>/", views.ticket_message, name="message"),
    path("t/<int:pk>/parts/", views.ticket_parts, name="parts"),
    # Phone: the call-me-back queue and logging a call on a ticket.
    path("callbacks/", views_phone.callback_queue, name="callbacks"),
    path("t/<int:pk>/log-call/", views_phone.log_call, name="log_call"),
]
