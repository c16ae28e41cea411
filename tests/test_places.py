"""Places as data: the shipped file adds up to the province, a user's own file is read, and a malformed
one is refused in one line naming the row and the column (never executed, never shifted)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from sd_model.paths import REFERENCE_DIR
from sd_model.places import COLUMNS, PlaceFileError, read_places

from .commands import run_module

HEADER = (
    "place_id,name_en,name_zh,people_relocated,people_source,"
    "income_per_person,income_period,income_source,employed_share,employment_period,employment_source"
)
THREE_COUNTIES = (
    HEADER + "\n"
    "county_a,County A,甲县,12000,made up for a test,9800,2022,made up,0.62,2021,made up\n"
    'county_b,County B,乙县,"8,500",made up for a test,,,,,,\n'
    "county_c,County C,丙县,4300,made up for a test,11200,2021-10/2022-07,made up,,,\n"
)


def test_the_shipped_places_add_up_to_the_province_and_name_their_sources():
    places = read_places()
    facts = pd.read_csv(REFERENCE_DIR / "relocation_facts.csv")
    province = facts[facts["quantity"] == "people relocated (13th Five-Year Plan)"]["value"].item()
    assert places["people_relocated"].sum() == province == 710_000
    assert {"hechi", "baise", "rest_of_guangxi"} <= set(places.index)
    assert places.loc["hechi", "people_relocated"] == 176_209 and places.loc["hechi", "income_per_person"] == 12_156
    assert all(places["people_source"].str.contains("http"))
    assert "derived" in places.loc["rest_of_guangxi", "people_source"]


def test_a_users_own_file_of_three_counties_is_read(tmp_path):
    path = tmp_path / "my_counties.csv"
    path.write_text(THREE_COUNTIES, encoding="utf-8")
    places = read_places(path)
    assert list(places.index) == ["county_a", "county_b", "county_c"]
    assert places["people_relocated"].tolist() == [12_000, 8_500, 4_300]
    assert math.isnan(places.loc["county_b", "income_per_person"])
    assert list(places.columns) == [c for c in COLUMNS if c != "place_id"]
    done = run_module("sd_model", "places", "--places", str(path))
    assert done.returncode == 0, done.stderr
    assert "3 places, 24,800 people relocated in all" in done.stdout


BAD = [
    ("place_id,name_en\nx,X\n", "row 1: no column 'name_zh'"),
    (HEADER + ",colour\n", "row 1: unknown column 'colour'"),
    (HEADER + "\ncounty_a,A,甲,100,src\n", "row 2: 5 cells for 11 columns"),
    (HEADER + "\ncounty_a,A,甲,many,src,,,,,,\n", "row 2, column people_relocated: 'many' is not a number"),
    (HEADER + "\ncounty_a,A,甲,12.5,src,,,,,,\n", "row 2, column people_relocated: '12.5' is not a whole number"),
    (HEADER + "\ncounty_a,A,甲,100,,,,,,,\n", "row 2, column people_source: empty"),
    (
        HEADER + "\ncounty_a,A,甲,100,src,9000,2022,,,,\n",
        "row 2, column income_source: empty, but income_per_person is given",
    ),
    (
        HEADER + "\ncounty_a,A,甲,100,src,9000,last year,src,,,\n",
        "row 2, column income_period: names no year, but income_per_person is given",
    ),
    (
        HEADER + "\ncounty_a,A,甲,100,src,,,,0.9,,src\n",
        "row 2, column employment_period: names no year, but employed_share is given",
    ),
    (HEADER + "\ncounty_a,A,甲,100,src,,,,1.3,2022,src\n", "row 2, column employed_share: '1.3' is not a share"),
    (
        HEADER + "\ncounty_a,A,甲,100,src,,,,nan,2022,src\n",
        "row 2, column employed_share: 'nan' is not a finite number",
    ),
    (HEADER + "\nCounty A,A,甲,100,src,,,,,,\n", "row 2, column place_id: 'County A' is not an id"),
    (
        HEADER + "\na,A,甲,1,s,,,,,,\nb,B,乙,2,s,,,,,,\na,C,丙,3,s,,,,,,\n",
        "row 4, column place_id: 'a' appears twice",
    ),
    (HEADER + "\n", "no places, only the header"),
    ("", "empty; the first row names the columns"),
    ("=cmd|' /C calc'!A0,__import__('os')\n", "unknown column"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_a_malformed_place_file_is_refused_naming_row_and_column(text, message, tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlaceFileError, match=message.replace("(", r"\(").replace(")", r"\)").replace("|", r"\|")):
        read_places(path)


def test_the_command_line_refuses_a_bad_file_in_one_line(tmp_path):
    path = tmp_path / "places.csv"
    path.write_bytes(b"\xff\xfe" + "place_id".encode("utf-16-le"))
    done = run_module("sd_model", "places", "--places", str(path))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "not UTF-8 text" in done.stderr
    missing = run_module("sd_model", "places", "--places", str(tmp_path / "nowhere.csv"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_huge_file_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(HEADER + "\n" + "x" * 1_100_000, encoding="utf-8")
    with pytest.raises(PlaceFileError, match="larger than 1,000,000 bytes"):
        read_places(path)
