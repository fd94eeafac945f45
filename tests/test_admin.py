"""Django admin for every model of Unisono's apps, and every page of it opens."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

OUR_APPS = ("inbox", "channels_app", "resolutions", "care", "audit")


def _our_models():
    return [model for model in apps.get_models() if model._meta.app_label in OUR_APPS]


def test_every_model_has_an_admin():
    missing = [f"{model._meta.app_label}.{model.__name__}" for model in _our_models() if model not in admin.site._registry]
    assert missing == []


@pytest.mark.django_db
def test_every_admin_list_and_change_page_opens(client):
    from audit import findings, scenario

    # A history with rows in most tables: tickets, messages, answers, findings, scores
    scenario.seed(customers_per_channel=3)
    findings.run_audit(broadcast=False)
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    for model in _our_models():
        meta = model._meta
        changelist = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert changelist.status_code == 200, f"{meta.label} list"
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            change = client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
            assert change.status_code == 200, f"{meta.label} #{first.pk}"
