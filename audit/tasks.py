"""Celery tasks of the audit, run by beat (config/schedule.py) and on demand."""

from __future__ import annotations

from celery import shared_task

from audit import findings, metrics


@shared_task(name="audit.tasks.run_audit")
def run_audit() -> dict:
    result = findings.run_audit()
    return {"found": result["found"], "created": result["created"], "updated": result["updated"]}


@shared_task(name="audit.tasks.refresh_scores")
def refresh_scores() -> int:
    return len(metrics.refresh_aggregates())


@shared_task(name="audit.tasks.recompute_scores")
def recompute_scores() -> int:
    """Nightly full recompute: also repairs weeks whose answers were deleted."""
    return metrics.recompute_all()
