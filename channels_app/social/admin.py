from __future__ import annotations

from django.contrib import admin

from channels_app.social import health
from channels_app.social.models import XChannelHealth, XCursor, XGapAlert


@admin.register(XCursor)
class XCursorAdmin(admin.ModelAdmin):
    list_display = ("account", "stream", "since_id", "updated_at")
    readonly_fields = ("updated_at",)


@admin.register(XChannelHealth)
class XChannelHealthAdmin(admin.ModelAdmin):
    list_display = ("account", "handle", "state", "rate_limited_until", "last_success_at", "last_error_at")
    readonly_fields = ("updated_at",)


@admin.action(description="Acknowledge (hide from the inbox banner)")
def acknowledge(modeladmin, request, queryset):
    for gap_id in queryset.filter(acknowledged_at__isnull=True).values_list("pk", flat=True):
        health.acknowledge_gap(gap_id=gap_id, by=request.user)


@admin.register(XGapAlert)
class XGapAlertAdmin(admin.ModelAdmin):
    list_display = ("account", "stream", "since_id", "oldest_seen_id", "created_at", "acknowledged_at", "acknowledged_by")
    list_filter = ("account", "stream", "acknowledged_at")
    actions = [acknowledge]
