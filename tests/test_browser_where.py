"""The *Where* page on the model split by place and site type, in a real Chromium, in both languages:
the tile map of the places, the panels by type of site, the table and the share of futures meeting a
target at each site (screenshots in tests/artifacts/)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sd_model.paths import ROOT
from sd_model.split import SPLIT_MDL

from .browser import streamlit_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ARTIFACTS / "streamlit_where.log", timeout=240, args=["--mdl", str(SPLIT_MDL)]) as url:
        yield url


@pytest.mark.parametrize(
    ("language", "heading", "place", "kind"),
    [
        ("en", "Employment rate of relocated labour by place, 2030", "Hechi", "Central village"),
        ("zh", "搬迁劳动力就业率：分地区，2030年", "河池市", "中心村安置点"),
    ],
)
def test_the_where_page_shows_the_map_the_types_and_the_table(server, browser, language, heading, place, kind):
    page = browser.new_page(viewport={"width": 1500, "height": 1600})
    page.goto(f"{server}/where?lang={language}")
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=120_000)
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(2, timeout=60_000)
    expect(charts.first.locator("canvas, svg").first).to_be_visible(timeout=30_000)
    tables = page.locator('[data-testid="stDataFrame"]')
    expect(tables).to_have_count(2, timeout=60_000)  # the values by site, the share of futures meeting a target
    table = tables.first
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    page.wait_for_timeout(2000)  # let the charts draw
    page.screenshot(path=ARTIFACTS / f"explorer_where_{language}.png", full_page=True)
    assert place in page.content() or place in table.inner_text()
    assert kind in page.content() or kind in table.inner_text()
    page.close()
