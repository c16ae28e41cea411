"""The explorer's *Where* page under AppTest: on the model split by place and site type its map, type
panels and table; a link that targets a lever at one site moves that site's cell only; on a model that is
not split, one line saying how to open the split one."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from sd_model.paths import ROOT
from sd_model.split import SPLIT_MDL

APP = str(ROOT / "app.py")
TARGETED = "industry_jobs_per_worker_at_site[hechi,village]"


def where_page(monkeypatch, mdl=None, query=None) -> AppTest:
    if mdl is not None:
        monkeypatch.setenv("SD_MODEL_MDL", str(mdl))
    at = AppTest.from_file(APP, default_timeout=300)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    at.switch_page("explorer/views/where.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def default_table():
    with pytest.MonkeyPatch.context() as patch:
        at = where_page(patch, SPLIT_MDL)
    return at, at.dataframe[0].value


def test_the_split_model_shows_the_map_the_types_and_the_table(default_table):
    at, table = default_table
    assert [s.value for s in at.subheader][:3] == [
        "Employment rate of relocated labour by place, 2030",
        "Employment rate of relocated labour by type of site",
        "Employment rate of relocated labour by place and type of site, 2030",
    ]
    assert list(table.index) == ["Hechi", "Baise", "Rest of Guangxi"]
    assert list(table.columns) == ["County seat or city", "Town", "Industrial park", "Central village"]
    assert table.loc["Hechi", "Central village"] < table.loc["Hechi", "Industrial park"]  # fewer jobs near villages


def test_a_link_targeting_one_site_moves_that_site_only(default_table, monkeypatch):
    _, before = default_table
    at = where_page(monkeypatch, SPLIT_MDL, {TARGETED: "0.3"})
    after = at.dataframe[0].value
    moved = (after - before).abs()
    assert moved.loc["Hechi", "Central village"] > 0.01
    assert (moved.drop(index="Hechi") == 0).all().all()
    assert at.slider(key=f"p_{TARGETED}").value == pytest.approx(0.3)


def test_the_year_slider_moves_the_table(default_table, monkeypatch):
    at = where_page(monkeypatch, SPLIT_MDL)
    at.select_slider(key="where_year").set_value(2020).run()
    assert at.subheader[0].value.endswith("2020")
    assert not at.dataframe[0].value.equals(default_table[1])


def test_a_model_not_split_says_how_to_open_the_split_one(monkeypatch):
    at = where_page(monkeypatch)
    assert "make run MODEL=models/sites/relocation_sites.mdl" in at.info[0].value


def test_the_share_of_futures_meeting_a_target_is_shown_for_every_site(default_table):
    at, _ = default_table
    assert "Which sites meet the targets: share of futures" in [s.value for s in at.subheader]
    grid = at.dataframe[1].value
    assert grid.shape == (3, 4) and ((grid >= 0) & (grid <= 1)).all().all()
    assert at.selectbox(key="where_target").value == "employment"


def test_prim_says_in_which_futures_the_weakest_site_misses(default_table):
    at, _ = default_table
    grid = at.dataframe[1].value
    site = at.selectbox(key="where_site")
    place, kind = site.value.split(",")
    names = {"hechi": "Hechi", "baise": "Baise", "rest_of_guangxi": "Rest of Guangxi"}
    types = {"county_seat": "County seat or city", "town": "Town", "industrial_park": "Industrial park",
             "village": "Central village"}  # fmt: skip
    assert grid.loc[names[place], types[kind]] == grid.min().min()  # the site meeting it least, first
    sentence = at.text[-1].value
    assert sentence.startswith(f"{names[place]} · {types[kind]} misses ")
    said = float(re.search(r"in (\d+)% of futures", sentence)[1]) / 100
    assert said == pytest.approx(1 - grid.loc[names[place], types[kind]], abs=0.006)
