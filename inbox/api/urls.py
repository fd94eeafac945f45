"""/api/: tickets, messages, customers; the OpenAPI schema and its docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from inbox.api.views import CustomerViewSet, MessageViewSet, TicketViewSet

app_name = "api"

router = SimpleRouter(use_regex_path=False)
router.register("tickets", TicketViewSet, basename="ticket")
router.register("messages", MessageViewSet, basename="message")
router.register("customers", CustomerViewSet, basename="customer")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI is served from drf_spectacular_sidecar's static files: no CDN.
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
]
