from __future__ import annotations

from django.urls import path

from care import api, views

app_name = "care"

urlpatterns = [
    path("supervisor/reports/", views.reports, name="reports"),
    path("supervisor/care/check/", views.check_now, name="check"),
    path("supervisor/care/customers/<int:pk>/", views.customer_privacy, name="customer"),
    path("supervisor/care/customers/<int:pk>/export/", views.customer_export, name="customer_export"),
    path("supervisor/care/customers/<int:pk>/erase/", views.customer_erase, name="customer_erase"),
    path("supervisor/care/customers/<int:pk>/preferences/", views.customer_preferences, name="customer_preferences"),
    path("inbox/t/<int:pk>/consent/", views.ticket_consent, name="ticket_consent"),
    path("api/care/customers/<int:pk>/export/", api.customer_export, name="api_customer_export"),
    path("api/care/customers/<int:pk>/erase/", api.customer_erase, name="api_customer_erase"),
    path("api/care/customers/<int:pk>/preferences/", api.CustomerPreferencesView.as_view(), name="api_customer_preferences"),
    path("t/<str:token>/rate/", views.rate, name="rate"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
