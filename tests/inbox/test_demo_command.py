"""manage.py demo: users and logins that work, tickets seeded once, like real traffic."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from inbox.models import Channel, Customer, Event, Message, Ticket
from inbox.permissions import is_supervisor

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]


def run_demo(*args: str) -> str:
    out = StringIO()
    call_command("demo", "--no-serve", *args, stdout=out)
    return out.getvalue()


def printed_logins(output: str) -> dict[str, str]:
    """{username: password} from the login table the command prints."""
    logins = {}
    for line in output.splitlines():
        cells = line.split()
        if len(cells) == 3 and cells[0] in ("agent", "supervisor"):
            role, username, password = cells
            logins[username] = password
    return logins


def test_running_twice_keeps_users_seeds_once_and_prints_logins_that_work(django_capture_on_commit_callbacks):
    # Given a fresh database
    assert not Ticket.objects.exists()

    # When the demo is set up twice
    with django_capture_on_commit_callbacks(execute=True):
        first = run_demo()
    tickets_after_first = set(Ticket.objects.values_list("pk", flat=True))
    messages_after_first = Message.objects.count()
    second = run_demo()

    # Then both users exist once, with their roles
    users = get_user_model().objects.filter(username__in=["agent", "supervisor"])
    assert users.count() == 2
    agent = users.get(username="agent")
    assert set(agent.inbox_queues.values_list("slug", flat=True)) == {"general", "billing"}
    assert is_supervisor(users.get(username="supervisor"))
    assert not is_supervisor(agent)

    # and the tickets were seeded by the first run only
    assert 8 <= len(tickets_after_first) <= 12
    assert set(Ticket.objects.values_list("pk", flat=True)) == tickets_after_first
    assert Message.objects.count() == messages_after_first
    assert "not seeding" in second

    # and the starter playbook was loaded once, so the composer suggests answers for the seeded tickets
    from resolutions.models import ResolutionVersion, Topic
    from resolutions.suggest import suggest

    assert Topic.objects.count() >= 10
    versions = ResolutionVersion.objects.count()
    assert "Imported telecom.yaml" in first and "not importing the starter playbook" in second
    assert ResolutionVersion.objects.count() == versions
    roaming = Ticket.objects.get(subject="Roaming charges in Spain?").messages.filter(direction="in").first()
    assert "roaming" in suggest(roaming.body, language=roaming.language)[0].topic

    # and the logins printed last are the ones that work
    first_logins, second_logins = printed_logins(first), printed_logins(second)
    assert set(second_logins) == {"agent", "supervisor"}
    for username, password in second_logins.items():
        assert authenticate(username=username, password=password) is not None
        assert first_logins[username] != password
        assert authenticate(username=username, password=first_logins[username]) is None


def test_seeded_tickets_look_like_real_traffic(django_capture_on_commit_callbacks):
    # When the demo seeds the inbox (on-commit work runs: broadcasts and deliveries)
    with django_capture_on_commit_callbacks(execute=True):
        run_demo()

    # Then every channel is represented, each ticket has its creation event
    tickets = Ticket.objects.all()
    assert set(tickets.values_list("origin_channel", flat=True)) == set(Channel.values)
    for ticket in tickets:
        assert ticket.events.filter(type=Event.Type.TICKET_CREATED).count() == 1
        assert ticket.messages.filter(direction=Message.Direction.IN).exists()

    # and one customer wrote on two channels through two identities
    two_channel_customers = [
        customer
        for customer in Customer.objects.prefetch_related("identities", "tickets")
        if len({ticket.origin_channel for ticket in customer.tickets.all()}) > 1
    ]
    assert len(two_channel_customers) == 1
    assert {identity.kind for identity in two_channel_customers[0].identities.all()} == {"email", "phone"}

    # and agents replied only where an adapter can deliver, so every reply went out
    replies = Message.objects.filter(direction=Message.Direction.OUT)
    assert replies.exists()
    assert set(replies.values_list("channel", flat=True)) <= {Channel.WEB, Channel.EMAIL}
    assert set(replies.values_list("status", flat=True)) == {Message.Status.SENT}
    assert Message.objects.filter(direction=Message.Direction.NOTE).exists()


def test_reset_starts_over_with_new_tickets_and_users():
    # Given a set-up demo
    run_demo()
    old_tickets = set(Ticket.objects.values_list("pk", flat=True))
    old_agent_pk = get_user_model().objects.get(username="agent").pk

    # When it is reset
    output = run_demo("--reset")

    # Then the tickets and users are new, and the printed logins work
    new_tickets = set(Ticket.objects.values_list("pk", flat=True))
    assert len(new_tickets) == len(old_tickets)
    assert not new_tickets & old_tickets
    assert get_user_model().objects.get(username="agent").pk != old_agent_pk
    for username, password in printed_logins(output).items():
        assert authenticate(username=username, password=password) is not None


def test_a_bad_port_is_refused():
    with pytest.raises(CommandError, match="port must be between 1 and 65535"):
        call_command("demo", "--port", "0")
    assert not get_user_model().objects.filter(username="agent").exists()


def test_a_busy_port_is_refused_before_anything_is_set_up():
    # Given something already listening on a port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        # When the demo is asked to serve there, it says so and does nothing
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is in use"):
            call_command("demo", "--port", str(port))
    assert not Ticket.objects.exists()


def test_a_bad_option_on_the_command_line_exits_non_zero_with_one_line(tmp_path):
    env = {**os.environ, "UNISONO_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "manage.py", "demo", "--port", "eighty"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "demo: argument --port: port must be a number, got 'eighty' (see: manage.py demo --help)"
    ]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_readme_command_serves_the_demo_and_the_printed_agent_login_works(tmp_path):
    """What the README's first command does after the install: `manage.py demo`, on the
    embedded default (nothing set), serves Unisono and the agent login it prints signs in."""
    import http.cookiejar
    import re
    import time
    import urllib.parse
    import urllib.request

    port = _free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE", "UNISONO_TEST_RUN")}
    env["UNISONO_DATA_DIR"] = str(tmp_path)
    server = subprocess.Popen([sys.executable, "manage.py", "demo", "--port", str(port)], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = []
        for line in server.stdout:
            output.append(line)
            if line.startswith("Serving Unisono"):
                break
        logins = printed_logins("".join(output))
        assert "agent" in logins, "".join(output)
        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        deadline = time.monotonic() + 60
        while True:
            try:
                login_page = opener.open(f"{base}/accounts/login/?next=/inbox/", timeout=5).read().decode()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the demo server did not come up"
                time.sleep(0.2)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        form = urllib.parse.urlencode({"username": "agent", "password": logins["agent"], "csrfmiddlewaretoken": token,
                                       "next": "/inbox/"}).encode()
        request = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"})
        inbox = opener.open(request, timeout=10)
        assert inbox.status == 200 and inbox.url == f"{base}/inbox/"
        assert re.search(r"T-\d{4}", inbox.read().decode())
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_seeding_shows_progress_per_conversation_and_one_line_for_the_tickets(capsys):
    from inbox.demo_data import CONVERSATIONS

    out = run_demo()

    err = capsys.readouterr().err
    total = len(CONVERSATIONS)
    assert f"seed: 1/{total}" in err and f"seed: {total}/{total} (100%)" in err
    assert f"Seeded {Ticket.objects.count()} demo tickets." in out.splitlines()
