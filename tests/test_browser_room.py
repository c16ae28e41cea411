"""The workshop room in a real Chromium, three browser contexts on one server and a SQLite file: a team
joins and submits, the room's screen (open before) shows the proposal without a reload, the facilitator
adopts it and opens round 2; the server is killed (SIGKILL) and started again and the room is intact; a
second team's round-2 proposal starts from the adopted settings.
Screenshots of the screen in both languages go to tests/artifacts/ (docs/workshop.md shows them)."""

from __future__ import annotations

import signal
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

import sd_model
from sd_model.paths import ROOT
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import URL_ENV, open_store

from .browser import PROCESSES, slider_label, streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = ROOT / "tests" / "artifacts"
ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"


@pytest.fixture
def database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'rooms.sqlite'}"
    monkeypatch.setenv(URL_ENV, url)  # the servers started below inherit it
    return url


def _join(page, url: str, code: str, team: str) -> None:
    page.goto(f"{url}/room?room={code}&lang=en")  # (the shipped room is in Chinese)
    page.get_by_label("Team").fill(team)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("button", name="Submit the proposal")).to_be_visible(timeout=120_000)


def _training(page):
    p = sd_model.default_model().parameter_table["training_coverage"]
    label = slider_label(p)
    return page.locator(f'input[type="range"][aria-label="{label}"], [role="slider"][aria-label="{label}"]').first


def _downloads(browser, facilitator_url: str) -> dict[str, str]:
    """The facilitator opens the exports panel and downloads the CSV and the report (their texts)."""
    page = browser.new_context(accept_downloads=True).new_page()
    page.goto(facilitator_url)
    page.get_by_text("Export the room").click()
    out = {}
    for kind, label in (("csv", "Every submission (CSV)"), ("html", "Report for the minutes (HTML)")):
        button = page.get_by_role("button", name=label)
        expect(button).to_be_visible(timeout=60_000)
        with page.expect_download(timeout=60_000) as download:
            button.click()
        out[kind] = Path(download.value.path()).read_text(encoding="utf-8")
    return out


def test_a_room_in_the_browser_survives_a_killed_server(browser, database):
    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    with open_store(database)() as session:
        created = rooms.create_room(session, room_file, sd_model.default_model().digest)
    log = ARTIFACTS / "streamlit_room.log"
    with streamlit_server(log, timeout=240, script=ROOT / "app.py") as url:  # no warm-up: only /room is visited
        screen = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
        screen.goto(f"{url}/room?room={created.code}&screen=1&lang=en")
        expect(screen.get_by_text("No proposal yet in this round.")).to_be_visible(timeout=120_000)
        team = browser.new_context(viewport={"width": 1400, "height": 1700}).new_page()
        _join(team, url, created.code, "Hechi county")
        slider = _training(team)
        slider.focus()
        slider.press("End")  # training coverage at its top
        expect(team.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=60_000)  # with bands
        team.wait_for_timeout(1500)  # let the charts draw
        team.screenshot(path=ARTIFACTS / "room_team_en.png", full_page=True)
        team.get_by_label("Rationale").fill("Train everyone, <b>now</b>")
        team.get_by_role("button", name="Submit the proposal").click()
        expect(team.get_by_text("Submitted")).to_be_visible(timeout=60_000)
        proposals = screen.locator('[data-testid="stDataFrame"]')
        expect(proposals).to_be_visible(timeout=10_000)  # live, without a reload (the page polls every second)
        expect(screen.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=10_000)
        screen.wait_for_timeout(1500)  # let the charts draw
        screen.screenshot(path=ARTIFACTS / "room_screen_en.png", full_page=True)
        facilitator = browser.new_context().new_page()
        facilitator.goto(f"{url}/room?room={created.code}&key={created.token}&lang=en")
        facilitator.get_by_role("button", name="Adopt it (closes the round)").click()
        expect(facilitator.get_by_role("button", name="Open the next round")).to_be_enabled(timeout=30_000)
        facilitator.get_by_role("button", name="Open the next round").click()
        expect(facilitator.get_by_text("Round 2: from 2031").first).to_be_visible(timeout=30_000)
        port = urlparse(url).port
        PROCESSES[port].send_signal(signal.SIGKILL)  # mid-workshop, no clean shutdown
        PROCESSES[port].wait()
    with streamlit_server(log.with_name("streamlit_room_restarted.log"), timeout=240, script=ROOT / "app.py") as url:
        screen.goto(f"{url}/room?room={created.code}&screen=1&lang=zh")
        expect(screen.get_by_text("小组（1）：Hechi county")).to_be_visible(timeout=120_000)
        with open_store(database)() as session:
            first = rooms.submissions(session, rooms.room_by_code(session, created.code))[0][1]
        top = sd_model.default_model().parameter_table["training_coverage"].high
        assert first.levers["training_coverage"] == top  # moved in the browser before the submit
        late = browser.new_context().new_page()
        _join(late, url, created.code, "Site enterprise")
        assert float(_training(late).input_value()) == top
        late.get_by_role("button", name="Submit the proposal").click()
        expect(late.get_by_text("Submitted")).to_be_visible(timeout=60_000)
        expect(screen.locator('[data-testid="stVegaLiteChart"]').first).to_be_visible(timeout=10_000)
        screen.wait_for_timeout(1500)  # let the charts draw
        screen.screenshot(path=ARTIFACTS / "room_screen_zh.png", full_page=True)
        exported = _downloads(browser, f"{url}/room?room={created.code}&key={created.token}&lang=en")
        assert "Hechi county" in exported["csv"] and "Site enterprise" in exported["csv"]
        assert "<svg" in exported["html"] and "Site enterprise" in exported["html"]
    with open_store(database)() as session:
        room = rooms.room_by_code(session, created.code)
        kept = rooms.submissions(session, room)
        assert [(tm.name, s.round) for tm, s in kept] == [("Hechi county", 1), ("Site enterprise", 2)]
        assert kept[0][1].rationale == "Train everyone, <b>now</b>"
        assert kept[1][1].levers["training_coverage"] == top  # round 2 built on round 1's adoption
