"""Keyset pagination for the API.

Tickets page on the composite key (updated_at, id) through
``inbox.selectors.ticket_page``, the same function the inbox page uses, so a
cursor means the same thing in both. DRF's own CursorPagination keys on the
first ordering field only and falls back to OFFSET for ties (capped at 1000),
which is not a keyset once many tickets share a timestamp (bulk imports,
migrations). Customers page on their unique id, where DRF's CursorPagination
is a true keyset.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from inbox.selectors import BadCursor, ticket_page

MAX_PAGE_SIZE = 200


def page_size_from(request: Request, default: int) -> int:
    """The ``page_size`` query parameter, refused loudly when it is not a
    number between 1 and MAX_PAGE_SIZE (silently ignoring it hides bugs)."""
    raw = request.query_params.get("page_size", "")
    if raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Use a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(raw)


def _page_size_parameter() -> dict[str, Any]:
    return {
        "name": "page_size",
        "required": False,
        "in": "query",
        "description": f"Results per page (1-{MAX_PAGE_SIZE}, default {settings.REST_FRAMEWORK['PAGE_SIZE']}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    }


class TicketKeysetPagination(BasePagination):
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list:
        size = page_size_from(request, settings.REST_FRAMEWORK["PAGE_SIZE"])
        self.base_url = request.build_absolute_uri()
        rows, self.next_cursor = ticket_page(
            queryset, after=request.query_params.get(self.cursor_query_param, ""), size=size
        )
        return rows

    def get_next_link(self) -> str | None:
        if not self.next_cursor:
            return None
        return replace_query_param(self.base_url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data: list) -> Response:
        return Response({"next": self.get_next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page; null on the last page.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from the `next` link of the previous page.",
                "schema": {"type": "string"},
            },
            _page_size_parameter(),
        ]


class CustomerCursorPagination(CursorPagination):
    # Customer ids are unique and never change: a pure keyset, no offsets.
    ordering = ("-id",)
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Request) -> int:
        return page_size_from(request, self.page_size)

    def decode_cursor(self, request: Request):
        try:
            return super().decode_cursor(request)
        except NotFound:
            # DRF answers a mangled cursor with 404; it is bad input, not a missing page.
            raise BadCursor("This page link is not valid; start from the first page.") from None

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        return [
            parameter if parameter["name"] != "page_size" else _page_size_parameter()
            for parameter in super().get_schema_operation_parameters(view)
        ]
