"""The periodic care check (config/schedule.py runs it every UNISONO_CARE_CHECK_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from care import actions, sla


@shared_task
def care_check() -> dict:
    return {**sla.check_all(), **actions.send_due()}
