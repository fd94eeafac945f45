"""The OpenAPI schema and its docs page."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_renders_with_the_ticket_endpoints(api_as, agent):
    response = api_as(agent).get("/api/schema/")

    assert response.status_code == 200
    text = response.content.decode()
    for path in (
        "/api/tickets/",
        "/api/tickets/{id}/",
        "/api/tickets/{id}/reply/",
        "/api/tickets/{id}/assign/",
        "/api/tickets/{id}/status/",
        "/api/tickets/{id}/notes/",
        "/api/messages/{id}/retry/",
        "/api/customers/",
        "/api/customers/{id}/",
    ):
        assert f"{path}:" in text


def test_schema_generates_without_warnings_and_validates(tmp_path):
    # --fail-on-warn turns any guess drf-spectacular had to make (an untyped
    # field, an unknown response) into a failure; --validate checks OpenAPI 3.
    target = tmp_path / "schema.yaml"

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))

    schema = target.read_text()
    assert "StaleReply" in schema  # the 409 body of a stale reply is documented
    assert "TicketStatusEnum" in schema


def test_schema_is_json_on_request(api_as, agent):
    response = api_as(agent).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    reply = paths["/api/tickets/{id}/reply/"]["post"]
    assert set(reply["responses"]) == {"201", "400", "404", "409"}
    assert reply["parameters"][0]["schema"]["type"] == "integer"


def test_docs_page_is_served_from_the_sidecar_not_a_cdn(api_as, agent):
    response = api_as(agent).get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "cdn" not in html.lower()
    assert "/api/schema/" in html
