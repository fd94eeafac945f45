"""Read paths of the playbook shared by the editor, the composer, the API and the commands."""

from __future__ import annotations

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet

from resolutions.models import Resolution, ResolutionVersion, Topic, TopicConfirmation
from resolutions.playbook_file import ResolutionSpec, TopicSpec


def active_resolutions() -> QuerySet[Resolution]:
    return Resolution.objects.filter(retired_at__isnull=True, current_version__isnull=False)


def playbook_topics() -> list[Topic]:
    """Every topic, in file order, with its active resolutions and their live version."""
    resolutions = active_resolutions().select_related("current_version").order_by("position", "id")
    return list(Topic.objects.prefetch_related(Prefetch("resolutions", queryset=resolutions, to_attr="active")).order_by("position", "id"))


def export_specs(*, progress=None) -> list[TopicSpec]:
    """The playbook as the file shapes it (what ``export_playbook`` writes).
    ``progress(done, total)`` is called after each topic."""
    specs = []
    topics = list(playbook_topics())
    for topic in topics:
        specs.append(
            TopicSpec(
                slug=topic.slug,
                names=topic.names,
                examples=topic.examples,
                keywords=topic.keywords or [],
                cancellation=topic.cancellation,
                resolutions=[
                    ResolutionSpec(
                        slug=resolution.slug,
                        title=resolution.title,
                        policy=resolution.current_version.policy,
                        promises=resolution.current_version.promises or {},
                        answers=resolution.current_version.answers,
                        exception=resolution.current_version.exception_wording or {},
                    )
                    for resolution in topic.active
                ],
            )
        )
        if progress is not None:
            progress(len(specs), len(topics))
    return specs


def index_revision() -> tuple:
    """Changes whenever what suggestions rank changes: a new version, a topic
    edit (approved examples), a retirement. The suggestion index is cached on it."""
    # One round trip: asked on every suggestion request.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_revision_columns()}")
        return tuple(cursor.fetchone())


def composer_state(ticket_id: int) -> tuple[tuple, str | None]:
    """``index_revision()`` and the slug of the ticket's confirmed topic (or
    None), in one round trip: the ticket page's composer needs both."""
    confirmed_sql, params = (
        TopicConfirmation.objects.filter(ticket_id=ticket_id)
        .order_by("-confirmed_at", "-id")
        .values("topic__slug")[:1]
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_revision_columns()}, ({confirmed_sql})", params)
        *revision, topic_slug = cursor.fetchone()
    return tuple(revision), topic_slug


def _revision_columns() -> str:
    version, topic, resolution = (
        connection.ops.quote_name(model._meta.db_table) for model in (ResolutionVersion, Topic, Resolution)
    )
    return (
        f"(SELECT MAX(id) FROM {version}), (SELECT MAX(retired_at) FROM {version}),"
        f" (SELECT MAX(updated_at) FROM {topic}), (SELECT COUNT(*) FROM {topic}),"
        f" (SELECT MAX(retired_at) FROM {resolution})"
    )


def resolution_list() -> QuerySet[Resolution]:
    return (
        Resolution.objects.select_related("topic", "current_version", "current_version__created_by")
        .annotate(version_count=Count("versions"))
        .order_by("retired_at", "topic__position", "position", "id")
    )


def resolution_detail(pk: int) -> Resolution | None:
    return (
        Resolution.objects.select_related("topic", "current_version")
        .prefetch_related(Prefetch("versions", queryset=ResolutionVersion.objects.select_related("created_by").order_by("-number")))
        .filter(pk=pk)
        .first()
    )


def current_version(pk: int) -> ResolutionVersion | None:
    return ResolutionVersion.objects.select_related("resolution__topic").filter(pk=pk, retired_at__isnull=True).first()


def pending_confirmations(limit: int = 100) -> list[TopicConfirmation]:
    return list(
        TopicConfirmation.objects.filter(review=TopicConfirmation.Review.PENDING)
        .select_related("topic", "confirmed_by", "ticket")
        .order_by("confirmed_at", "id")[:limit]
    )


def topics_by_id(ids) -> dict[int, Topic]:
    return {topic.pk: topic for topic in Topic.objects.filter(pk__in=list(ids))}
