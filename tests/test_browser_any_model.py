"""The explorer on another model than the project's, end to end in a real Chromium: the public example
of ``models/examples/workforce/``, started as ``python -m explorer.serve --mdl PATH`` starts it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

import sd_model
from explorer.formatting import format_value
from sd_model.paths import ROOT

from .browser import streamlit_server

# One xdist worker runs the browser tests, so that the servers and browsers do not compete.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = ROOT / "tests" / "artifacts"
WORKFORCE = ROOT / "models" / "examples" / "workforce" / "workforce.mdl"


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit_workforce.log", args=["--mdl", str(WORKFORCE)]) as url:
        yield url


def card_value(page, label: str):
    card = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return card.locator('[data-testid="stMetricValue"]')


def test_the_example_opens_and_a_slider_moves_its_card(server, browser):
    model = sd_model.load_model(WORKFORCE)
    week = model.headline_year
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server)
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_count(len(model.kpis), timeout=90_000)
    expect(page.get_by_role("heading", name="Explorer: Workforce")).to_be_visible()
    experts = card_value(page, "Experts")
    expect(experts).to_have_text(format_value(model.run().loc[week, "experts"]), timeout=30_000)
    before = experts.inner_text()

    lever = model.parameter_table["target_backlog"]
    thumb = page.get_by_role("slider", name=re.compile(f"^{re.escape(lever.label('en'))}"))
    thumb.focus()
    thumb.press("End")  # to the top of its range
    expect(experts).not_to_have_text(before, timeout=30_000)
    expected = model.run({"target_backlog": lever.high}).loc[week, "experts"]
    expect(experts).to_have_text(format_value(expected), timeout=30_000)
    expect(page).to_have_url(re.compile(rf"[?&]target_backlog={lever.high:g}"), timeout=10_000)
    page.wait_for_timeout(1500)  # let the charts draw
    page.screenshot(path=ARTIFACTS / "explorer_workforce.png", full_page=True)
    page.close()


def test_the_server_warms_up_on_the_example_without_warnings(server):
    log = (ARTIFACTS / "streamlit_workforce.log").read_text(encoding="utf-8")
    assert "explorer warmed up in" in log
    for noise in ("missing ScriptRunContext", "WARNING", "Traceback", "error"):
        assert noise not in log, (noise, log[:600])


def test_the_examples_pages_open_in_chinese(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(f"{server}/robustness?lang=zh")
    expect(page.get_by_role("heading", name="预设情景：稳健性与成本")).to_be_visible(timeout=90_000)
    expect(page.get_by_role("heading", name="稳健低成本政策组合")).to_be_visible(timeout=90_000)  # the page's end
    expect(page.get_by_text("语言 / Language")).to_be_visible(timeout=30_000)  # the sidebar, drawn last
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.wait_for_timeout(1500)
    page.screenshot(path=ARTIFACTS / "explorer_workforce_robustness_zh.png", full_page=True)
    page.close()
