"""The workshop room's database and rules on a real SQLite file (and a real PostgreSQL server where its
binaries are on this machine): the schema made by Alembic on first use, every submission kept once under
30 sessions submitting at the same moment, nothing lost when the writing process is killed, and the guards
of issue 25 (tokens stored hashed, a team edits only its own proposal, votes once, rounds in order)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import inspect, select, text

import sd_model
from sd_model.paths import ROOT
from workshop import rooms
from workshop.room_file import RoomFileError, parse_room_file, read_room_file
from workshop.schema import Submission
from workshop.store import StoreError, open_store

from .services import Unavailable, postgres_server, wait_for

ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"
TEAMS = 30


@pytest.fixture(scope="module")
def room_file():
    return read_room_file(ROOM_FILE, sd_model.default_model())


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'data' / 'rooms.sqlite'}"


def _room(url, room_file):
    factory = open_store(url)
    with factory() as session:
        created = rooms.create_room(session, room_file, "digest")
    return factory, created


def test_the_database_is_made_on_first_use_by_alembic(tmp_path, sqlite_url):
    factory = open_store(sqlite_url)
    assert (tmp_path / "data" / "rooms.sqlite").is_file()
    bind = factory.kw["bind"]
    assert {"rooms", "teams", "submissions", "votes", "adoptions", "alembic_version"} <= set(
        inspect(bind).get_table_names()
    )
    with bind.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


def test_a_url_that_is_not_a_database_is_refused_in_one_line():
    with pytest.raises(StoreError, match="SD_WORKSHOP_DB: not a database URL"):
        open_store("not a url")
    with pytest.raises(StoreError, match="'mysql' is not supported"):
        open_store("mysql://user@localhost/db")


def test_secrets_are_stored_hashed_and_links_are_checked(sqlite_url, room_file, tmp_path):
    factory, created = _room(sqlite_url, room_file)
    with factory() as session:
        room = rooms.facilitator_room(session, created.code.lower(), created.token)  # codes read in any case
        team = rooms.join(session, room, room_file, "Team A", "enterprise")
        for code, token in ((created.code, created.token[:-1] + "x"), ("ZZZZZZZZ", created.token), ("<b>", None)):
            with pytest.raises(rooms.RoomError):
                rooms.facilitator_room(session, code, token)
        with pytest.raises(rooms.RoomError, match="session is not valid"):
            rooms.team_of(session, room, team.team_id, "forged")
    raw = b"".join(path.read_bytes() for path in (tmp_path / "data").glob("rooms.sqlite*"))  # the file and its log
    assert created.token.encode() not in raw and team.token.encode() not in raw
    assert len(created.code) == 8 and len(rooms.CODE_ALPHABET) ** 8 > 8e11


def test_joining_checks_names_roles_and_limits_wrong_codes(sqlite_url, room_file):
    factory, created = _room(sqlite_url, room_file)
    guard = rooms.JoinGuard(limit=3)
    with factory() as session:
        room = guard.room(session, "browser-1", created.code)
        rooms.join(session, room, room_file, "  Team   A ", "enterprise")
        with pytest.raises(rooms.RoomError, match="already in the room"):
            rooms.join(session, room, room_file, "Team A", "enterprise")
        with pytest.raises(rooms.RoomError, match="choose a role"):
            rooms.join(session, room, room_file, "Team B", "mayor")
        with pytest.raises(rooms.RoomError, match="at most 60"):
            rooms.join(session, room, room_file, "x" * 61, "enterprise")
        for _ in range(3):
            with pytest.raises(rooms.RoomError, match=r"no room has this code|not a room code"):
                guard.room(session, "browser-2", "23456789")
        with pytest.raises(rooms.RoomError, match="too many wrong room codes"):
            guard.room(session, "browser-2", created.code)  # even the right one, now
        assert guard.room(session, "browser-1", created.code).id == room.id


def test_a_round_submits_votes_adopts_and_opens_the_next(sqlite_url, room_file):
    factory, created = _room(sqlite_url, room_file)
    with factory() as session:
        room = rooms.room_by_code(session, created.code)
        a = rooms.team_of(session, room, *_ids(rooms.join(session, room, room_file, "A", "enterprise")))
        b = rooms.team_of(session, room, *_ids(rooms.join(session, room, room_file, "B", "county_government")))
        rooms.submit(session, room, a, {"training_coverage": 0.4}, "first", {"employment": 0.9}, "d")
        revised = rooms.submit(session, room, a, {"training_coverage": 0.6}, "revised", {"employment": 0.92}, "d")
        rooms.submit(session, room, b, {"community_governance": 0.8}, "<script>x</script>", {"employment": 0.91}, "d")
        latest = rooms.proposals(session, room)
        assert [(t.name, s.rationale) for t, s in latest] == [("A", "revised"), ("B", "<script>x</script>")]
        assert len(rooms.submissions(session, room)) == 3  # every submission kept
        with pytest.raises(rooms.RoomError, match="at most 500"):
            rooms.submit(session, room, a, {}, "x" * 501, {}, "d")
        with pytest.raises(rooms.RoomError, match="another team's proposal"):
            rooms.vote(session, room, a, a.id)
        rooms.vote(session, room, a, b.id)
        with pytest.raises(rooms.RoomError, match="voted in this round already"):
            rooms.vote(session, room, a, b.id)
        rooms.vote(session, room, b, a.id)
        assert rooms.votes(session, room) == {a.id: 1, b.id: 1}
        with pytest.raises(rooms.RoomError, match="adopt a proposal of round 1"):
            rooms.open_next_round(session, room, room_file)
        rooms.adopt(session, room, revised.id)
        with pytest.raises(rooms.RoomError, match="round 1 is closed"):
            rooms.submit(session, room, b, {}, "late", {}, "d")
        with pytest.raises(rooms.RoomError, match="adopted in round 1 already"):
            rooms.adopt(session, room, revised.id)
        assert rooms.open_next_round(session, room, room_file) == 2
        assert rooms.adopted(session, room)[1].levers == {"training_coverage": 0.6}
        assert rooms.proposals(session, room) == []
        rooms.submit(session, room, b, {"training_coverage": 0.7}, "round 2", {"employment": 0.93}, "d")
        rooms.adopt(session, room, rooms.proposals(session, room)[0][1].id)
        with pytest.raises(rooms.RoomError, match="this was the last"):
            rooms.open_next_round(session, room, room_file)


def _ids(joined):
    return joined.team_id, joined.token


def _thirty_at_once(factory, code, room_file) -> list[int]:
    """30 teams join, then submit at the same moment from 30 threads, each with its own session; each
    submit is sent twice (a retry) with the same key."""
    with factory() as session:
        room = rooms.room_by_code(session, code)
        joined = [rooms.join(session, room, room_file, f"Team {i}", "enterprise") for i in range(TEAMS)]
    start, errors = threading.Barrier(TEAMS), []

    def one(i):
        try:
            with factory() as session:
                room = rooms.room_by_code(session, code)
                team = rooms.team_of(session, room, *_ids(joined[i]))
                start.wait()
                for _ in range(2):
                    rooms.submit(session, room, team, {"training_coverage": i / 100}, f"t{i}", {}, "d", key=f"k{i}")
        except Exception as err:  # collected and asserted below
            errors.append(repr(err))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(TEAMS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        return sorted(s.team_id for s in session.scalars(select(Submission)))


def test_thirty_submits_at_the_same_moment_are_all_kept_once(sqlite_url, room_file):
    factory, created = _room(sqlite_url, room_file)
    kept = _thirty_at_once(factory, created.code, room_file)
    assert len(kept) == TEAMS and len(set(kept)) == TEAMS


WRITER = """
import sys, time
import sd_model
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import open_store
url, code, name, path = sys.argv[1:5]
room_file = read_room_file(path, sd_model.default_model())
factory = open_store(url)
with factory() as session:
    room = rooms.room_by_code(session, code)
    joined = rooms.join(session, room, room_file, name, "enterprise")
    team = rooms.team_of(session, room, joined.team_id, joined.token)
    rooms.submit(session, room, team, {"training_coverage": 0.5}, "kept", {"employment": 0.9}, "d")
print("submitted", flush=True)
time.sleep(600)
"""


def test_a_process_killed_after_a_submit_loses_nothing(sqlite_url, room_file):
    factory, created = _room(sqlite_url, room_file)
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, sqlite_url, created.code, "Killed team", str(ROOM_FILE)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout.readline().strip() == "submitted"
    finally:
        process.kill()  # SIGKILL: no clean shutdown, no checkpoint of the write-ahead log
        process.wait()
        process.stdout.close()
    with factory() as session:
        room = rooms.room_by_code(session, created.code)
        [(team, sub)] = rooms.proposals(session, room)
        assert (team.name, sub.rationale, sub.levers) == ("Killed team", "kept", {"training_coverage": 0.5})


@pytest.fixture(scope="module")
def postgres():
    """A real PostgreSQL server (Debian's package) on a free local port (tests/services.py)."""
    try:
        with postgres_server() as url:
            wait_for(lambda: open_store(url))
            yield url
    except Unavailable as why:
        pytest.skip(str(why))


def _capped_role_at_once(url, room_file) -> list[str]:
    """Ten teams join the room's one-team role (provincial finance) at the same moment, from ten threads."""
    factory, created = _room(url, room_file)
    start, refused = threading.Barrier(10), []

    def one(i):
        with factory() as session:
            room = rooms.room_by_code(session, created.code)
            start.wait()
            try:
                rooms.join(session, room, room_file, f"Finance {i}", "provincial_finance")
            except rooms.RoomError as err:
                refused.append(str(err))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with factory() as session:
        teams = rooms.teams(session, rooms.room_by_code(session, created.code))
    assert len(refused) == 9 and all("has its 1 team(s) already" in r for r in refused), refused
    return [tm.name for tm in teams if tm.role == "provincial_finance"]


def test_a_capped_role_takes_one_team_even_when_ten_join_at_once(sqlite_url, room_file):
    assert room_file.role("provincial_finance").max_teams == 1
    assert len(_capped_role_at_once(sqlite_url, room_file)) == 1


def test_postgresql_caps_a_role_when_ten_join_at_once(postgres, room_file):
    assert len(_capped_role_at_once(postgres, room_file)) == 1


def test_postgresql_keeps_thirty_simultaneous_submits_once(postgres, room_file):
    factory, created = _room(postgres, room_file)
    kept = _thirty_at_once(factory, created.code, room_file)
    assert len(kept) == TEAMS and len(set(kept)) == TEAMS


def test_room_files_are_checked_against_the_model():
    model = sd_model.default_model()
    good = ROOM_FILE.read_text(encoding="utf-8")
    cases = [
        (good.replace('"training_coverage",', '"training_coverage", "return_propensity",'), "of kind uncertainty"),
        (good.replace('"training_coverage",', '"trainig_coverage",'), "'trainig_coverage' is not a parameter"),
        (good.replace("year = 2031", "year = 2020"), "round 2: year 2020 must come after round 1's 2026"),
        (good.replace("year = 2031", "year = 2051"), "round 2: year 2051 outside the model's years"),
        (good.replace('language = "zh"', 'language = "fr"'), "language must be one of en, zh"),
        (good.replace('id = "enterprise"', 'id = "county_government"'), "'county_government' appears twice"),
        (good + "\n[colour]\n", "unknown key 'colour'"),
        (
            good.replace(
                'levers = ["training_coverage", "entrepreneurship_support", "share_reform_coverage"]',
                'levers = ["education_culture_programmes"]',
            ),
            "role 4: levers: 'education_culture_programmes' is not one of the room's levers",
        ),
        (good.replace("max_teams = 1", "max_teams = 0"), "role 5: max_teams must be at least 1"),
        ("title_en = 'x'\n", "missing key 'title_zh'"),
    ]
    for text_, message in cases:
        with pytest.raises(RoomFileError, match=message):
            parse_room_file(text_, model, "room.toml")
    with pytest.raises(RoomFileError, match="larger than"):
        parse_room_file("#" * 100_001, model)


def test_a_deleted_room_leaves_nothing_and_its_code_names_no_room(sqlite_url, room_file):
    factory, created = _room(sqlite_url, room_file)
    _, other = _room(sqlite_url, room_file)
    with factory() as session:
        room = rooms.room_by_code(session, created.code)
        a = rooms.team_of(session, room, *_ids(rooms.join(session, room, room_file, "A", "enterprise")))
        b = rooms.team_of(session, room, *_ids(rooms.join(session, room, room_file, "B", "county_government")))
        sub = rooms.submit(session, room, a, {"training_coverage": 0.4}, "x", {}, "d")
        rooms.vote(session, room, b, a.id)
        rooms.adopt(session, room, sub.id)
        assert rooms.version(session, room.id) is not None
        listed = {r.code: (teams, subs) for r, teams, subs in rooms.list_rooms(session)}
        assert listed == {created.code: (2, 1), other.code: (0, 0)}
        room_id = room.id
        rooms.delete_room(session, room)
        assert rooms.version(session, room_id) is None
        with pytest.raises(rooms.RoomError, match="no room has this code"):
            rooms.room_by_code(session, created.code)
        for table in ("teams", "submissions", "votes", "adoptions"):
            left = session.execute(text(f"SELECT count(*) FROM {table} WHERE room_id = :r"), {"r": room_id}).scalar()
            assert left == 0, table
        assert rooms.room_by_code(session, other.code).code == other.code  # the other room untouched


def test_the_command_line_lists_exports_and_deletes_rooms(sqlite_url, room_file, tmp_path):
    factory, created = _room(sqlite_url, room_file)
    with factory() as session:
        room = rooms.room_by_code(session, created.code)
        team = rooms.team_of(session, room, *_ids(rooms.join(session, room, room_file, "Cli team", "enterprise")))
        rooms.submit(session, room, team, {"training_coverage": 0.4}, "from the shell", {"employment_rate": 0.9}, "d")

    def cli(*args):
        done = subprocess.run([sys.executable, "-m", "workshop", "--db", sqlite_url, *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        return done.returncode, done.stdout, done.stderr

    code, out, _ = cli("rooms")
    assert code == 0 and created.code in out and "1 teams  1 submissions" in out
    code, out, _ = cli("export", created.code.lower(), "--out", str(tmp_path / "out"))
    assert code == 0, out
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"room_{created.code}.csv", f"room_{created.code}.html", f"room_{created.code}_scenarios.zip"]
    assert "from the shell" in (tmp_path / "out" / f"room_{created.code}.csv").read_text()
    code, _, err = cli("delete", created.code)
    assert code == 2 and "add --yes" in err
    assert cli("delete", created.code, "--yes")[0] == 0
    code, _, err = cli("export", created.code)
    assert code == 2 and err.strip() == "python -m workshop: no room has this code", err
