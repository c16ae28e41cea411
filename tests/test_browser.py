"""End to end in a real browser: Playwright drives Chromium against `streamlit run app.py`."""

from __future__ import annotations

import re
import shutil

import pytest
from playwright.sync_api import expect

import sd_model
from sd_model.paths import ROOT

from .browser import streamlit_server

# One xdist worker runs them all, so one server and one browser serve the module.
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit.log") as url:
        yield url


def equity_card(page):
    label = next(o.short("en") for o in sd_model.outputs() if o.name == "equity_income_per_capita")
    return page.locator('[data-testid="stMetric"]').filter(has_text=label).locator('[data-testid="stMetricValue"]')


def test_move_slider_changes_card_and_shared_link_restores(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server)
    card = equity_card(page)
    expect(card).to_be_visible(timeout=90_000)
    before = card.inner_text()
    expected_before = sd_model.run().loc[2030, "equity_income_per_capita"]
    assert before == f"{expected_before:,.0f}"

    thumb = page.get_by_role("slider", name="Guaranteed dividend rate")
    thumb.focus()
    thumb.press("End")  # to the top of the range, 0.08
    expect(card).not_to_have_text(before, timeout=30_000)
    expected_after = sd_model.run({"dividend_rate": 0.08}).loc[2030, "equity_income_per_capita"]
    expect(card).to_have_text(f"{expected_after:,.0f}", timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]dividend_rate=0\.08"), timeout=10_000)
    page.screenshot(path=ARTIFACTS / "explorer_after_slider.png", full_page=True)

    shared = f"{server}/?preset=asset_income_reform&dividend_rate=0.03"
    page.goto(shared)
    card = equity_card(page)
    expected = sd_model.run(sd_model.load_scenario("asset_income_reform").parameters | {"dividend_rate": 0.03})
    expect(card).to_have_text(f"{expected.loc[2030, 'equity_income_per_capita']:,.0f}", timeout=90_000)
    expect(page.get_by_role("slider", name="Guaranteed dividend rate")).to_have_value("0.03")
    page.screenshot(path=ARTIFACTS / "explorer_shared_link.png", full_page=True)
    page.close()


def test_chinese_page_and_old_view_link_in_the_browser(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(f"{server}/?view=compare&lang=zh")  # a link from before the pages: it opens the compare page
    expect(page.get_by_role("heading", name="情景并列比较")).to_be_visible(timeout=90_000)
    expect(page).to_have_url(re.compile(r"/compare\?(.*&)?lang=zh"), timeout=10_000)
    expect(page.get_by_text("语言 / Language")).to_be_visible()
    assert page.get_by_role("button", name="Deploy").count() == 0  # a policymaker's page: minimal toolbar
    page.screenshot(path=ARTIFACTS / "explorer_zh_compare.png", full_page=True)
    page.close()


def test_an_assumption_moved_in_the_browser_leaves_every_delta_at_zero(server, browser):
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server)
    card = equity_card(page)
    expect(card).to_be_visible(timeout=90_000)
    page.get_by_text("Uncertain quantities").click()
    thumb = page.get_by_role("slider", name="Outside jobs per worker (labour export) (jobs/person)")
    thumb.focus()
    thumb.press("Home")  # the lowest outside demand the model allows
    expect(page.get_by_text("Assumptions changed")).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"[?&]outside_jobs_per_worker=0\.3"), timeout=10_000)
    deltas = page.locator('[data-testid="stMetricDelta"]')
    expect(deltas).to_have_count(len(sd_model.KPIS))
    for text in deltas.all_inner_texts():
        assert text.strip().startswith("±0"), text
    page.screenshot(path=ARTIFACTS / "explorer_assumption_moved.png", full_page=True)
    page.close()


def test_what_a_yuan_buys_is_computed_when_opened(server, browser):
    """The panel's 14-run batch runs only while it is open (a slider move does not pay for it closed)."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(server)
    expect(equity_card(page)).to_be_visible(timeout=90_000)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="What a yuan buys")
    expect(panel.locator('[data-testid="stDataFrame"]')).to_have_count(0)
    panel.get_by_text("What a yuan buys").click()
    expect(panel.get_by_text("This scenario against policy unchanged")).to_be_visible(timeout=30_000)
    expect(panel.locator('[data-testid="stDataFrame"]')).to_have_count(2, timeout=30_000)
    page.screenshot(path=ARTIFACTS / "explorer_yuan_buys.png", full_page=True)
    page.close()


def test_why_panel_in_the_browser(server, browser):
    """Open the Why? panel in a real browser: the sentence, the loop chart, the loop on the diagram and
    the causes strip; a click on a cause goes one level down. The screenshot is the README's."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    page.goto(f"{server}/?training_coverage=0.9")
    expect(equity_card(page)).to_be_visible(timeout=90_000)
    page.get_by_text("Why? Show the loops and causes behind the outcomes").click()
    sentence = page.get_by_text(re.compile(r"^Current levers: 2016–2020: "))
    expect(sentence).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stGraphVizChart"]').first).to_be_visible(timeout=30_000)
    causes = page.locator('[data-testid="stButton"] button').filter(has_text=re.compile(r"[▲▼＝]"))
    expect(causes.first).to_be_visible(timeout=30_000)
    page.get_by_text("Why? Show the loops and causes behind the outcomes").scroll_into_view_if_needed()
    page.wait_for_timeout(1500)  # let the charts draw
    page.screenshot(path=ARTIFACTS / "why_panel.png")
    causes.filter(has_text="Settling In").first.click()
    expect(page.get_by_role("button", name=re.compile("^Back to"))).to_be_visible(timeout=30_000)


def test_an_uncaught_error_shows_no_traceback_to_visitors(browser, tmp_path):
    """With the explorer's own ``.streamlit/config.toml`` (client.showErrorDetails = "none"), an error
    no page caught reaches the visitor as a generic message: no type, message, traceback or path."""
    (tmp_path / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", tmp_path / ".streamlit" / "config.toml")
    script = tmp_path / "failing_page.py"
    script.write_text('raise RuntimeError("secret detail from /srv/private/path")\n', encoding="utf-8")
    with streamlit_server(ARTIFACTS / "streamlit_failing.log", script=script) as url:
        page = browser.new_page()
        page.goto(url)
        expect(page.locator('[data-testid="stException"]')).to_be_visible(timeout=60_000)
        text = page.locator('[data-testid="stApp"]').inner_text()
        for secret in ("secret detail", "/srv/private", "RuntimeError", "Traceback", "failing_page.py"):
            assert secret not in text, (secret, text[:300])
        page.close()


def test_the_server_starts_without_warnings(server):
    """`make run`'s launcher (explorer/serve.py) warms up and starts with nothing to warn about."""
    log = (ARTIFACTS / "streamlit.log").read_text(encoding="utf-8")
    assert "explorer warmed up in" in log
    for noise in ("config option section was detected", "missing ScriptRunContext", "WARNING", "Traceback"):
        assert noise not in log, (noise, log[:600])


CUT_JS = """() => [...document.querySelectorAll('[data-testid="stMetric"] *')]
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText)"""


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_card_title_value_or_delta_is_cut_at_1400_px(server, browser, language):
    """A room reads the cards from a projector: short titles (the full label in the help), three
    significant digits for money, a short delta description; nothing ends in an ellipsis."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/?lang={language}")
    expect(page.locator('[data-testid="stMetricValue"]')).to_have_count(len(sd_model.KPIS), timeout=90_000)
    expect(page.locator('[data-testid="stMetricDelta"]')).to_have_count(len(sd_model.KPIS), timeout=30_000)
    assert page.evaluate(CUT_JS) == []
    page.screenshot(path=ARTIFACTS / f"explorer_cards_{language}.png")
    page.close()
