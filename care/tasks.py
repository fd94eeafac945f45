"""The periodic care check (config/schedule.py runs it every UNISONO_CARE_CHECK_SECONDS),
and the re-check of one customer's open tickets after their tier changed."""

from __future__ import annotations

from celery import shared_task

from care import actions, sla


@shared_task
def care_check() -> dict:
    return {**sla.check_all(), **actions.send_due()}


@shared_task
def check_customer_tickets(customer_id: int) -> dict:
    """A customer's open tickets under their new targets at once, not at the next periodic check."""
    ids = list(sla.tickets_to_check().filter(customer_id=customer_id).values_list("pk", flat=True))
    return {"checked": len(ids), "alerts": sum(len(sla.check_ticket(pk)) for pk in ids)}
