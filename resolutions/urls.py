from __future__ import annotations

from django.urls import path

from resolutions import views

app_name = "resolutions"

urlpatterns = [
    path("playbook/", views.playbook_list, name="list"),
    path("playbook/new/", views.resolution_new, name="new"),
    path("playbook/<int:pk>/", views.resolution_edit, name="edit"),
    path("playbook/<int:pk>/retire/", views.resolution_retire, name="retire"),
    path("playbook/confirmations/<int:pk>/", views.confirmation_review, name="review"),
]
