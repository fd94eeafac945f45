from __future__ import annotations

from django.contrib import admin

from inbox.models import CallbackTask, Customer, Event, Identity, Message, Queue, Ticket


class ReadOnlyAdmin(admin.ModelAdmin):
    """For rows only the app's actions write (logs, computed state, triage):
    readable in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "language", "consent_follow_up", "created_at")
    search_fields = ("name", "identities__value", "identities__handle")
    inlines = [IdentityInline]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("kind", "value", "handle", "customer")
    list_filter = ("kind",)
    search_fields = ("value", "handle")
    raw_id_fields = ("customer",)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("direction", "channel", "author", "body", "status", "created_at")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("reference", "subject", "status", "priority", "queue", "assignee", "origin_channel", "updated_at")
    list_filter = ("status", "priority", "queue", "origin_channel")
    search_fields = ("subject", "customer__name")
    raw_id_fields = ("customer", "assignee")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "ticket", "direction", "channel", "status", "created_at")
    list_filter = ("direction", "channel", "status")
    raw_id_fields = ("ticket", "author")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events are an append-only log: readable here, never edited."""

    list_display = ("id", "type", "ticket", "queue_id", "created_at")
    list_filter = ("type",)


@admin.register(CallbackTask)
class CallbackTaskAdmin(ReadOnlyAdmin):
    """Done by logging the call (inbox.actions), not here."""

    list_display = ("id", "ticket", "source", "window", "due_at", "status", "done_by", "done_at")
    list_filter = ("status", "source", "window")
    raw_id_fields = ("ticket", "request_message", "logged_call", "done_by")
