from __future__ import annotations

from django.contrib import admin

from inbox.models import Customer, Event, Identity, Message, Queue, Ticket


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
class EventAdmin(admin.ModelAdmin):
    """Events are an append-only log: readable here, never edited."""

    list_display = ("id", "type", "ticket", "queue_id", "created_at")
    list_filter = ("type",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
