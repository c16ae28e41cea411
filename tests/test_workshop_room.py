"""The workshop room's page under AppTest, on a real SQLite database: a room created from the page, two
teams joining and proposing, the room's screen showing the proposals, the facilitator adopting one and
opening round 2, a round-2 proposal run on top of the adopted one (``Model.run_rounds``); a tampered
facilitator key or room code gets a warning, never a traceback; the exports."""

from __future__ import annotations

import io
import os
import zipfile

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import sd_model
from sd_model.paths import ROOT
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import URL_ENV, open_store

APP = str(ROOT / "app.py")
ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('workshop') / 'rooms.sqlite'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(URL_ENV, url)
        yield url


def page(query: dict, lang: str | None = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()  # (the first page writes its own query string: the room's keys are set after it)
    at.switch_page("explorer/views/room.py")
    for name, value in (({"lang": lang} if lang else {}) | query).items():  # (the shipped room is in Chinese)
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _created(database):
    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    with open_store(database)() as session:
        return rooms.create_room(session, room_file, sd_model.default_model().digest)


def test_the_page_creates_a_room_and_gives_its_links(database):
    at = page({})
    at.button(key="room_create_button").click().run()
    assert not at.exception
    code = at.success[0].value.split()[1]
    links = [c.value for c in at.code]
    assert links[0].startswith(f"/room?room={code}&key=") and links[1] == f"/room?room={code}"
    with open_store(database)() as session:
        assert rooms.room_by_code(session, code).title.startswith("After the move")


def _join_and_submit(code, name, role, training, rationale) -> AppTest:
    at = page({"room": code})
    at.text_input(key="room_team_name").input(name).run()
    at.selectbox(key="room_role").set_value(role).run()
    at.button(key="room_join_button").click().run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    at.slider(key="p_training_coverage").set_value(training).run()
    at.text_area(key=f"rationale_{code}").input(rationale).run()
    at.button(key="room_submit").click().run()
    assert not at.exception and at.success, [w.value for w in at.warning]
    return at


def test_two_rounds_submit_show_adopt_and_build_on_the_adopted(database):
    created = _created(database)
    _join_and_submit(created.code, "Hechi county", "county_government", 0.6, "<b>train</b> everyone")
    _join_and_submit(created.code, "Site enterprise", "enterprise", 0.3, "jobs first")
    screen = page({"room": created.code, "screen": "1"})
    table = screen.dataframe[0].value
    assert list(table["Team"]) == ["Hechi county", "Site enterprise"]
    assert table["Rationale"][0] == "<b>train</b> everyone"  # kept and shown as text
    facilitator = page({"room": created.code, "key": created.token})
    assert facilitator.selectbox(key="room_adopt_choice").options[0] == "Hechi county"  # the first team's, chosen
    facilitator.button(key="room_adopt").click().run()
    facilitator.button(key="room_next").click().run()
    assert not facilitator.exception and not facilitator.warning, [w.value for w in facilitator.warning]
    with open_store(database)() as session:
        room = rooms.room_by_code(session, created.code)
        assert room.current_round == 2 and rooms.adopted(session, room)[1].levers["training_coverage"] == 0.6
    # Round 2: the second team starts from the adopted settings and changes one lever from 2031
    at = page({"room": created.code})
    at.text_input(key="room_team_name").input("Late team").run()
    at.selectbox(key="room_role").set_value("county_government").run()  # (a role moving every lever)
    at.button(key="room_join_button").click().run()
    assert at.slider(key="p_training_coverage").value == pytest.approx(0.6)  # builds on round 1's adoption
    at.slider(key="p_community_governance").set_value(0.9).run()
    at.button(key="room_submit").click().run()
    with open_store(database)() as session:
        room = rooms.room_by_code(session, created.code)
        [(_, sub)] = rooms.proposals(session, room)
    model = sd_model.default_model()
    adopted = {"policy_year": 2026.0, "training_coverage": 0.6}
    expected = model.run_rounds([(2026, adopted), (2031, adopted | sub.levers)])
    for kpi in model.kpis:  # the KPIs kept are the run through round 1's adoption and this round-2 proposal
        assert sub.kpis[kpi] == pytest.approx(expected.loc[model.headline_year, kpi], rel=1e-12)
    alone = model.run(adopted | sub.levers)  # not the same as the proposal acting from round 1's year
    assert alone.loc[model.headline_year, "employment_rate"] != sub.kpis["employment_rate"]
    assert sub.levers["training_coverage"] == 0.6 and sub.levers["community_governance"] == 0.9


def test_a_tampered_key_or_code_gets_a_warning(database):
    created = _created(database)
    at = page({"room": created.code, "key": created.token[:-2] + "xx"})
    assert at.warning and "facilitator link is not valid" in at.warning[0].value
    at = page({"room": "NOT-A-CODE"})
    assert at.warning and "not a room code" in at.warning[0].value
    at = page({"room": "<script>alert(1)</script>"})
    assert at.warning and not at.exception


def test_a_team_name_shows_as_typed_never_as_markdown(database):
    created = _created(database)
    name = "[win](http://example.com) **bold**"
    _join_and_submit(created.code, name, "enterprise", 0.5, "x")
    screen = page({"room": created.code, "screen": "1"})
    captions = [c.value for c in screen.caption]
    assert any(r"\[win\]\(http\://example\.com\) \*\*bold\*\*" in c for c in captions), captions
    assert not any("[win](http" in c for c in captions)


def test_the_exports_hold_every_submission(database):
    created = _created(database)
    _join_and_submit(created.code, "A", "enterprise", 0.5, "first")
    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    from explorer import room as room_page

    with open_store(database)() as session:
        room = rooms.room_by_code(session, created.code)
        table = pd.read_csv(io.BytesIO(room_page.export_csv(session, room)))
        archive = zipfile.ZipFile(io.BytesIO(room_page.export_scenarios(session, room, room_file)))
        report = room_page.export_report(session, room, room_file, "en").decode()
    assert list(table["team"]) == ["A"] and table["lever:training_coverage"][0] == 0.5
    [name] = archive.namelist()
    scenario = sd_model.scenarios.parse_scenario(archive.read(name), sd_model.default_model().validate, source=name)
    assert scenario.parameters["training_coverage"] == 0.5
    assert "<svg" in report and "first" in report


def test_a_team_sees_cards_bands_and_the_robustness_strip(database):
    created = _created(database)
    at = _join_and_submit(created.code, "Bands", "enterprise", 0.7, "x")
    model = sd_model.default_model()
    cards = {m.label for m in at.metric}
    assert {o.short("en") for o in model.outputs if o.name in model.kpis} | {"Cost"} <= cards, cards
    strip = [m.value for m in at.markdown if "-background[**" in m.value]
    from explorer import compute

    assert len(strip) == len(compute.cached_targets()) + 1, strip  # each target and all of them
    assert any("futures drawn from the posterior" in c.value for c in at.caption)  # the bands' note


def test_a_proposals_futures_are_the_explorers_at_the_same_futures():
    """A round-1 proposal's bands and shares are those of the explorer's ensemble (explorer.ensemble) over
    the same futures; a round-2 proposal's differ from the same settings acting from round 1."""
    from explorer import compute, ensemble
    from explorer import room as room_page

    model = sd_model.default_model()
    levers = {"policy_year": 2026.0, "training_coverage": 0.7}
    bands, shares = room_page.futures_of([(2026, levers)], list(model.kpis))
    expected = ensemble.futures_run(levers, n=room_page.ROOM_FUTURES, seed=0, targets=compute.cached_targets())
    pd.testing.assert_frame_equal(bands, expected[0], rtol=1e-12)
    pd.testing.assert_series_equal(shares, expected[1], check_names=False)
    later, _ = room_page.futures_of([(2026, {"policy_year": 2026.0}), (2031, levers)], list(model.kpis))
    assert not later["q50"].equals(bands["q50"])


def test_a_role_has_its_start_page_and_its_levers(database):
    created = _created(database)
    at = _join_and_submit(created.code, "Workshops", "enterprise", 0.5, "x")
    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    enterprise = room_file.role("enterprise")
    assert {s.key for s in at.slider if s.key.startswith("p_")} == {f"p_{name}" for name in enterprise.levers}
    assert any(enterprise.brief("en") in i.value for i in at.info)  # the role's brief opens its page
    assert any("The story behind the room" in e.label for e in at.expander)
    at = page({"room": created.code})  # the one provincial-finance team, then a second one refused
    at.text_input(key="room_team_name").input("Finance").run()
    at.selectbox(key="room_role").set_value("provincial_finance").run()
    assert any("One team takes this role" in c.value for c in at.caption)  # the brief, before joining
    at.button(key="room_join_button").click().run()
    assert not at.warning
    again = page({"room": created.code})
    again.text_input(key="room_team_name").input("Finance 2").run()
    again.selectbox(key="room_role").set_value("provincial_finance").run()
    again.button(key="room_join_button").click().run()
    assert again.warning and "has its 1 team(s) already" in again.warning[0].value and not again.exception


def test_a_room_opens_in_its_language_unless_the_link_says_otherwise(database):
    created = _created(database)  # the shipped room file says language = "zh"
    at = page({"room": created.code}, lang=None)
    assert at.button(key="room_join_button").label == "加入" and at.radio(key="lang").value == "zh"
    at.radio(key="lang").set_value("en").run()  # the sidebar's choice holds from then on
    assert at.button(key="room_join_button").label == "Join"
    assert page({"room": created.code}).button(key="room_join_button").label == "Join"  # the link's lang=en


def test_the_facilitator_deletes_the_room_after_typing_its_code(database):
    created = _created(database)
    _join_and_submit(created.code, "Gone", "enterprise", 0.5, "x")
    facilitator = page({"room": created.code, "key": created.token})
    assert facilitator.button(key="room_delete_room").disabled  # not before the code is typed
    facilitator.text_input(key="room_delete_confirm").input("WRONG").run()
    assert facilitator.button(key="room_delete_room").disabled
    facilitator.text_input(key="room_delete_confirm").input(created.code.lower()).run()
    facilitator.button(key="room_delete_room").click().run()
    assert not facilitator.exception and "no room has this code" in facilitator.warning[0].value
    screen = page({"room": created.code, "screen": "1"})
    assert screen.warning and "no room has this code" in screen.warning[0].value


def test_the_turns_setting_is_checked_and_a_bad_one_is_said_on_the_page(database, monkeypatch):
    import subprocess
    import sys

    from explorer import turns

    assert turns.turns({}) >= 1 and turns.turns({"SD_ROOM_TURNS": " 3 "}) == 3
    for bad in ("0", "65", "two", "-1", "1.5", ""):
        with pytest.raises(ValueError, match=f"SD_ROOM_TURNS must be a whole number from 1 to 64, not {bad!r}"):
            turns.turns({"SD_ROOM_TURNS": bad})
    monkeypatch.setattr(turns, "TURNS_PROBLEM", "SD_ROOM_TURNS must be a whole number from 1 to 64, not 'two'")
    at = page({"room": _created(database).code})
    assert [e.value for e in at.error] == [turns.TURNS_PROBLEM] and not at.slider
    done = subprocess.run([sys.executable, "-m", "explorer.serve"], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "SD_ROOM_TURNS": "two"}, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stderr.strip() == f"error: {turns.TURNS_PROBLEM}"
