"""Beyond one machine: two replicas of the explorer behind nginx (deploy/nginx.conf.template, sticky by a
cookie), sharing a real PostgreSQL server. A team's proposal submitted through one replica appears on the
room's screen served by the other. Skips, saying why, where nginx or PostgreSQL cannot be installed."""

from __future__ import annotations

import contextlib
import urllib.request
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

import sd_model
from sd_model.paths import ROOT
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import URL_ENV, open_store

from .browser import streamlit_server
from .services import Unavailable, nginx_server, postgres_server, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = ROOT / "tests" / "artifacts"
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"


def _replica(url: str, cookie: str) -> str:
    """Which replica (host:port) nginx sends a browser holding the cookie ``sd_replica=cookie`` to."""
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"sd_replica={cookie}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["X-SD-Replica"]


def _start(stack: contextlib.ExitStack, server):
    """Enter ``server`` (a context manager) on ``stack``, or skip the test saying why it cannot run here."""
    try:
        return stack.enter_context(server)
    except Unavailable as why:
        pytest.skip(str(why))


def test_a_proposal_through_one_replica_shows_on_the_screen_of_the_other(browser, monkeypatch):
    with contextlib.ExitStack() as stack:
        database = _start(stack, postgres_server())
        wait_for(lambda: open_store(database))
        monkeypatch.setenv(URL_ENV, database)  # both replicas share it
        room_file = read_room_file(ROOM_FILE, sd_model.default_model())
        with open_store(database)() as session:
            created = rooms.create_room(session, room_file, sd_model.default_model().digest)
        logs = [ARTIFACTS / f"streamlit_replica_{i}.log" for i in (1, 2)]
        urls = [stack.enter_context(streamlit_server(log, timeout=240, script=ROOT / "app.py")) for log in logs]
        replicas = [f"127.0.0.1:{urlparse(u).port}" for u in urls]
        url = _start(stack, nginx_server(TEMPLATE, replicas))
        cookies = {}
        for i in range(64):  # a cookie value for each replica
            cookies.setdefault(_replica(url, f"browser{i}"), f"browser{i}")
        assert set(cookies) == set(replicas), cookies
        contexts = {}
        for replica in replicas:
            context = browser.new_context(viewport={"width": 1500, "height": 1000})
            context.add_cookies([{"name": "sd_replica", "value": cookies[replica], "url": url}])
            contexts[replica] = context.new_page()
        screen, team = contexts[replicas[1]], contexts[replicas[0]]
        answer = screen.goto(f"{url}/room?room={created.code}&screen=1&lang=en")
        assert answer.headers["x-sd-replica"] == replicas[1]
        expect(screen.get_by_text("No proposal yet in this round.")).to_be_visible(timeout=120_000)
        answer = team.goto(f"{url}/room?room={created.code}&lang=en")
        assert answer.headers["x-sd-replica"] == replicas[0]
        team.get_by_label("Team").fill("Through replica one")
        team.get_by_role("button", name="Join").click()
        team.get_by_role("button", name="Submit the proposal").click(timeout=120_000)
        expect(team.get_by_text("Submitted")).to_be_visible(timeout=60_000)
        expect(screen.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=10_000)
        expect(screen.get_by_text("Teams (1): Through replica one")).to_be_visible(timeout=10_000)
