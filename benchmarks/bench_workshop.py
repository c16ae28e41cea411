"""Benchmark: a workshop room with N participants on one server (the 2-core machine).

One explorer server (SQLite in a temporary folder), the room's screen, and N participants, of one of
two kinds (``--clients``):

- ``ws`` (the default): each participant, and the screen, is a :class:`st_client.StreamlitClient`,
  Streamlit's own websocket protocol spoken from this process (no browser: nothing is laid out or
  drawn, so the figures are the server's). The screen's ``st.fragment(run_every=1 s)`` is polled as a
  browser polls it (the client runs the fragment's ``auto_rerun`` timer). A move sets the lever's
  slider to a value no participant has used before (the slider's grid, from its ends inwards);
- ``browser``: each participant a headless Chromium page in its own browser context (Playwright's async
  API, all in one browser process on the same cores as the server: the figures include that load),
  the screen a Chromium page too; a move is a key press (End or Home) on the slider.

Each participant joins (the text input "Team", the button "Join"), then, ``--moves`` times, waits a
random time in [0, ``--pace``] seconds (0: all at once, the burst), moves a lever and submits. Measured:

- move -> cards: from the move to the KPI cards (``st.metric``: value and delta) of the team's page
  showing the new run's values (``ws``: once that run finished; its cards' arrival is printed too);
- submit -> screen: from the click on *Submit* to the team's name in the screen's list of proposals
  (each team's first submit);
- errors (a timeout, an exception shown on a page) and lost or duplicated submissions (the database
  against the submits that reported success);
- the server's CPU seconds per move (``/proc/<pid>/stat``, user + system, over the whole run divided by
  the moves), and the moves a second the two cores could serve at that cost (an upper bound: the
  server's script runs share one interpreter, and a burst keeps it at about one core busy, printed).

The pages are asked for in English (``lang=en``: a room file may set another language) and their
elements found by kind and label, never by position.

With ``ws`` it also measures what a new participant's session costs the server: CPU seconds from
connecting to the first finished run (the join page) and from *Join* to the team's page, one session
at a time on the otherwise idle server.

    .venv/bin/python benchmarks/bench_workshop.py [--clients ws|browser] [--participants 10 30] [--moves 3]
        [--pace SECONDS]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import sd_model
from sd_model.paths import ROOT

sys.path.insert(0, str(ROOT))
from benchmarks.st_client import ProtocolError, StreamlitClient
from tests.browser import CHROMIUM_FLAGS, PROCESSES, ensure_browser, slider_label, streamlit_server
from tests.services import Unavailable, nginx_server, postgres_server, wait_for
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import URL_ENV, open_store

ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"
LEVERS = ("training_coverage", "industry_jobs_per_worker", "community_governance", "order_based_share")
CARDS_JS = """(before) => {
  const cards = [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(m => m.innerText).join('|');
  return cards && cards !== before;
}"""
SUBMIT = "Submit the proposal"
PROPOSALS = re.compile(r"^Proposals \(\d+\): (.*)$")  # the screen's list of proposals
#: Lever values used so far, by lever: each move asks for a run never computed before.
USED: dict[str, set[float]] = {}
READ_CARDS_JS = (
    """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(m => m.innerText).join('|')"""
)


def cpu_seconds(pids) -> float:
    """User + system CPU seconds of processes (Linux ``/proc``), summed; a process gone counts 0."""
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def nginx_pids(prefix: str = "sd_nginx_") -> list[int]:
    """The benchmark's nginx: its master (started with a configuration under a ``prefix`` folder) and workers."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            found[int(stat.parent.name)] = (int(stat.read_text().rsplit(")", 1)[1].split()[1]), command)
    masters = {pid for pid, (_, command) in found.items() if "nginx" in command and prefix in command}
    return sorted(masters | {pid for pid, (parent, _) in found.items() if parent in masters})


@dataclass
class Deployment:
    """Where the clients go: ``url``, and a cookie per replica (sticky sessions through nginx; one empty
    cookie for one server); ``servers`` are the explorer's processes, ``what`` says what is measured."""

    url: str
    cookies: list[str]
    servers: list[int]
    what: str
    nginx: bool = False
    postgres: bool = False

    def cookie(self, i: int) -> str:
        return self.cookies[i % len(self.cookies)]

    @property
    def pids(self) -> list[int]:
        """The processes whose CPU is counted, found when asked (PostgreSQL starts a process a connection):
        the servers, nginx's and PostgreSQL's (on the same cores)."""
        extra = (nginx_pids() if self.nginx else []) + (postgres_pids() if self.postgres else [])
        return self.servers + extra


def percentile(values, q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, the nearest of them (NaN for none)."""
    return float(np.percentile(values, 100 * q, method="nearest")) if values else float("nan")


async def participant(browser, url, code, i, moves, pace, screen, results) -> None:
    label = {p.name: p for p in sd_model.default_model().parameters}
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    name = f"Team {i:02d}"
    try:
        await page.goto(f"{url}/room?room={code}&lang=en", timeout=300_000)
        await page.get_by_label("Team").fill(name, timeout=300_000)
        await page.get_by_role("button", name="Join").click()
        await page.get_by_role("button", name="Submit the proposal").wait_for(timeout=300_000)
        await page.wait_for_function(READ_CARDS_JS, timeout=300_000)
        for k in range(moves):
            await asyncio.sleep(random.uniform(0, pace))
            p = label[LEVERS[(i + k) % len(LEVERS)]]
            text = slider_label(p)
            slider = page.locator(
                f'input[type="range"][aria-label="{text}"], [role="slider"][aria-label="{text}"]'
            ).first
            await slider.focus()
            before = await page.evaluate(READ_CARDS_JS)
            start = time.perf_counter()
            await slider.press("End" if k % 2 == 0 else "Home")
            await page.wait_for_function(CARDS_JS, arg=before, polling="raf", timeout=120_000)
            results["move"].append(time.perf_counter() - start)
            # the cards come before the end of the move's run: until it ends, the last submit's "Submitted"
            # is still on the page (stale), and would be taken for this submit's
            await page.get_by_text("Submitted").first.wait_for(state="hidden", timeout=120_000)
            start = time.perf_counter()
            await page.get_by_role("button", name="Submit the proposal").click()
            await page.get_by_text("Submitted").first.wait_for(timeout=120_000)
            results["submitted"] += 1
            if k == 0:  # the first submit of each team is the one the screen shows first
                listed = re.compile(rf"^Proposals \(\d+\): .*\b{name}\b")  # the screen's list of proposals
                await screen.get_by_text(listed).first.wait_for(timeout=120_000)
                results["screen"].append(time.perf_counter() - start)
            if await page.locator('[data-testid="stException"]').count():
                results["errors"].append(f"{name}: an exception on the page")
    except Exception as err:  # counted and printed
        results["errors"].append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
    finally:
        await context.close()


def fresh_value(slider, lever: str, current: float) -> float:
    """A value of the slider's grid no move has used for this lever (from the ends inwards: big changes)."""
    used = USED.setdefault(lever, set())
    steps = round((slider.max - slider.min) / slider.step)
    for j in range(steps + 1):
        value = round(slider.min + (steps - j // 2 if j % 2 == 0 else j // 2) * slider.step, 10)
        if value not in used and not math.isclose(value, current):
            used.add(value)
            return value
    raise RuntimeError(f"every value of {lever} is used: fewer participants or moves")


def new_room(database: str) -> str:
    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    with open_store(database)() as session:
        return rooms.create_room(session, room_file, sd_model.default_model().digest).code


class Screen:
    """The room's screen as a websocket client: when each team first appears in its list of proposals."""

    def __init__(self, url: str, code: str, cookie: str = ""):
        self.client = StreamlitClient(url, "room", f"room={code}&screen=1&lang=en", cookie=cookie)
        self.client.listeners.append(self._drawn)
        self.listed: dict[str, float] = {}
        self.events: dict[str, asyncio.Event] = {}

    def _drawn(self, drawn) -> None:
        element = drawn.element
        if element.WhichOneof("type") != "markdown":
            return
        found = PROPOSALS.match(element.markdown.body)
        for name in found.group(1).split(", ") if found else ():
            if name not in self.listed:
                self.listed[name] = drawn.at
                self.event(name).set()

    def event(self, name: str) -> asyncio.Event:
        return self.events.setdefault(name, asyncio.Event())

    async def when_listed(self, name: str, timeout: float) -> float:
        await asyncio.wait_for(self.event(name).wait(), timeout)
        return self.listed[name]


async def join_ws(client: StreamlitClient, name: str, timeout: float = 300.0) -> None:
    """Fill the team's name, press *Join*; return once the team's page (its cards) is drawn."""
    team = client.widget("text_input", "Team")
    if team is None:
        raise ProtocolError(f"no text input 'Team' on the join page: {client.texts()[:3]}")
    await client.act({team.id: name}, press="Join", until=lambda c: bool(c.button(SUBMIT) and c.metrics()),
                     timeout=timeout)  # fmt: skip


async def move_ws(client: StreamlitClient, p, results) -> None:
    """Move the lever ``p`` to a value never used before; time until its run finished with new cards."""
    slider = client.widget("slider", slider_label(p))
    if slider is None:
        raise ProtocolError(f"no slider {slider_label(p)!r} on the team's page")
    current = client.widgets[slider.id].double_array_value.data[0] if slider.id in client.widgets else slider.default[0]
    before = client.metrics()
    start = time.perf_counter()
    results["move"].append(
        await client.act({slider.id: fresh_value(slider, p.name, current)},
                         until=lambda c: bool(c.metrics()) and c.metrics() != before)
    )  # fmt: skip
    drawn = [d.at for d in client.drawn.values() if d.element.WhichOneof("type") == "metric"]
    results["cards"].append(max(drawn) - start)


def submitted(client: StreamlitClient) -> bool:
    return any(a.body.startswith("Submitted") for a in client.elements("alert"))


async def participant_ws(where: Deployment, code, i, moves, pace, screen: Screen, results) -> None:
    label = {p.name: p for p in sd_model.default_model().parameters}
    name = f"Team {i:02d}"
    client = StreamlitClient(where.url, "room", f"room={code}&lang=en", cookie=where.cookie(i))
    try:
        await client.connect(timeout=300)
        await join_ws(client, name)
        for k in range(moves):
            await asyncio.sleep(random.uniform(0, pace))
            await move_ws(client, label[LEVERS[(i + k) % len(LEVERS)]], results)
            start = time.perf_counter()
            await client.act(press=SUBMIT, until=submitted)
            results["submitted"] += 1
            if k == 0:  # the first submit of each team is the one the screen shows first
                results["screen"].append(await screen.when_listed(name, 120) - start)
        if client.stats.exceptions:
            results["errors"].append(f"{name}: an exception on the page: {client.stats.exceptions[0]}")
    except Exception as err:  # counted and printed
        results["errors"].append(f"{name}: {type(err).__name__}: {str(err).splitlines()[0][:120]}")
    finally:
        await client.close()


async def one_room_ws(n: int, moves: int, pace: float, where: Deployment, database: str) -> dict:
    code = new_room(database)
    results = {"move": [], "cards": [], "screen": [], "errors": [], "submitted": 0}
    screen = Screen(where.url, code, where.cookie(-1))  # (with two replicas: the one participant 0 is not on)
    pids = where.pids
    await screen.client.connect(timeout=300)
    if not any(text.startswith("No proposal yet") for text in screen.client.texts()):
        raise ProtocolError(f"the screen does not show an empty room: {screen.client.texts()[:4]}")
    cpu, own = cpu_seconds(pids), time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(participant_ws(where, code, i, moves, pace, screen, results) for i in range(n)))
    results["seconds"] = time.perf_counter() - started
    results["cpu"] = cpu_seconds(pids) - cpu
    results["client_cpu"] = time.process_time() - own
    results["screen_runs"] = (screen.client.stats.auto_reruns_sent, screen.client.stats.full_runs - 1)
    await screen.client.close()
    results["kept"] = kept(database, code)
    return results


def kept(database: str, code: str) -> int:
    """The room's submissions in the database."""
    with open_store(database)() as session:
        return len(rooms.submissions(session, rooms.room_by_code(session, code)))


async def session_cost(where: Deployment, database: str, sessions: int = 3) -> list[tuple[float, float]]:
    """Server CPU seconds of new sessions, one at a time: connect -> join page, *Join* -> team's page."""
    code, costs = new_room(database), []
    await asyncio.sleep(3)  # the rooms before: their sessions' last runs done
    for i in range(sessions):
        client = StreamlitClient(where.url, "room", f"room={code}&lang=en", cookie=where.cookie(i))
        try:
            cpu = cpu_seconds(where.pids)
            await client.connect(timeout=300)
            joined = cpu_seconds(where.pids)
            await join_ws(client, f"Cost {i:02d}")
            costs.append((joined - cpu, cpu_seconds(where.pids) - joined))
        finally:
            await client.close()
    return costs


async def one_room(n: int, moves: int, pace: float, chromium: Path, where: Deployment, database: str) -> dict:
    from playwright.async_api import async_playwright

    code = new_room(database)
    results = {"move": [], "cards": [], "screen": [], "errors": [], "submitted": 0}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        screen = await (await browser.new_context(viewport={"width": 1600, "height": 1200})).new_page()
        url = where.url
        await screen.goto(f"{url}/room?room={code}&screen=1&lang=en", timeout=300_000)
        await screen.get_by_text("No proposal yet in this round.").wait_for(timeout=300_000)
        cpu, own = cpu_seconds(where.pids), time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(participant(browser, url, code, i, moves, pace, screen, results) for i in range(n)))
        results["seconds"] = time.perf_counter() - started
        results["cpu"] = cpu_seconds(where.pids) - cpu
        results["client_cpu"] = time.process_time() - own  # Playwright's driver; Chromium is not counted
        await browser.close()
    results["kept"] = kept(database, code)
    return results


CLIENT_KINDS = {
    "ws": "Streamlit websocket clients (benchmarks/st_client.py) in this process, no browser; the screen too",
    "browser": "headless Chromium pages, one browser, on the server's 2 cores; the screen a Chromium page too",
}


def report(rows, clients: str, pace: float) -> None:
    print(f"participants: {CLIENT_KINDS[clients]}")
    print(f"pace: {'all at once (burst)' if not pace else f'a random wait in [0, {pace:g}] s before each move'}")
    header = (
        f"{'N':>4} {'errors':>6} {'lost':>5} {'dup':>4} {'move->cards p50/p95 s':>22} {'submit->screen p50/p95 s':>25}"
    )
    print(header + f" {'CPU s/move':>10} {'moves/s (2 cores)':>17}")
    for n, r in rows:
        lost, dup = max(0, r["submitted"] - r["kept"]), max(0, r["kept"] - r["submitted"])
        moves = max(len(r["move"]), 1)
        per_move = r["cpu"] / moves
        print(
            f"{n:>4} {len(r['errors']):>6} {lost:>5} {dup:>4} "
            f"{percentile(r['move'], 0.5):>10.2f} / {percentile(r['move'], 0.95):<9.2f} "
            f"{percentile(r['screen'], 0.5):>12.2f} / {percentile(r['screen'], 0.95):<10.2f} "
            f"{per_move:>10.3f} {2 / per_move if per_move else float('nan'):>17.1f}"
        )
        for error in r["errors"][:5]:
            print("   ", error)
    print("targets at N = 30: 0 errors, 0 lost, p95 move -> cards <= 1.5 s, submit -> screen <= 3 s")
    print(f"(medians over all moves; {statistics.mean(len(r['move']) for _, r in rows):.0f} moves a run on average)")
    for n, r in rows:
        line = (
            f"N = {n}: {r['seconds']:.1f} s, server {r['cpu']:.1f} CPU-s ({r['cpu'] / r['seconds']:.2f} cores busy on "
            f"average), this process {r['client_cpu']:.1f} CPU-s"
        )
        if clients == "ws":
            line += (
                f"; cards arrived p50/p95 {percentile(r['cards'], 0.5):.2f} / {percentile(r['cards'], 0.95):.2f} s"
                f" (before their run finished); screen: {r['screen_runs'][0]} polls, {r['screen_runs'][1]} redraws"
            )
        print(line)


def replica_cookie(url: str, replica: str) -> str:
    """A value of the cookie ``sd_replica`` that nginx (``deploy/nginx.conf.template``, hashing it) sends to
    ``replica`` (host:port), found by asking it (its answer names the replica, ``X-SD-Replica``)."""
    for k in range(256):
        request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": f"sd_replica=bench{k}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.headers["X-SD-Replica"] == replica:
                return f"sd_replica=bench{k}"
    raise RuntimeError(f"no cookie value of 256 leads nginx to {replica}")


@contextlib.contextmanager
def deployment(replicas: int, db: str, folder: Path):
    """The explorer as measured: one server (``python -m explorer.serve``), or two replicas behind nginx
    with sticky sessions (``deploy/``), on the database ``db`` (SQLite in ``folder``, or a PostgreSQL server
    started here); yields the :class:`Deployment` and the database URL. Raises
    :class:`tests.services.Unavailable` where nginx or PostgreSQL cannot be had."""
    with contextlib.ExitStack() as stack:
        if db == "postgresql":
            database = stack.enter_context(postgres_server())
            wait_for(lambda: open_store(database))
        else:
            database = f"sqlite:///{folder / 'rooms.sqlite'}"
        os.environ[URL_ENV] = database  # the servers' database
        logs = [folder / f"streamlit_{i}.log" for i in range(replicas)]
        urls = [stack.enter_context(streamlit_server(log, timeout=300)) for log in logs]
        servers = [process.pid for process in PROCESSES.values()]
        if replicas == 1:
            yield Deployment(urls[0], [""], servers, f"one server, {db}", postgres=db == "postgresql"), database
            return
        hosts = [u.removeprefix("http://") for u in urls]
        url = stack.enter_context(nginx_server(ROOT / "deploy" / "nginx.conf.template", hosts))
        cookies = [replica_cookie(url, host) for host in hosts]
        what = f"{replicas} replicas behind nginx (sticky by cookie), {db}"
        yield Deployment(url, cookies, servers, what, nginx=True, postgres=db == "postgresql"), database


def postgres_pids() -> list[int]:
    """PostgreSQL's processes on this machine (the benchmark's server, the only one it starts)."""
    pids = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        with contextlib.suppress(OSError):
            if comm.read_text().strip() in ("postgres", "postmaster"):
                pids.append(int(comm.parent.name))
    return pids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--moves", type=int, default=3)
    parser.add_argument("--clients", choices=sorted(CLIENT_KINDS), default="ws", help="participants' kind (ws)")
    parser.add_argument(
        "--pace", type=float, default=0.0, metavar="SECONDS", help="each participant waits a random time in "
        "[0, SECONDS] before each move (default 0: all at once)",
    )  # fmt: skip
    parser.add_argument(
        "--replicas",
        type=int,
        choices=(1, 2),
        default=1,
        help="one server (default), or two replicas behind nginx (deploy/nginx.conf.template)",
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the rooms' database: SQLite (default) or a PostgreSQL server started here")  # fmt: skip
    args = parser.parse_args()
    if args.clients == "browser" and args.replicas != 1:
        parser.error("--clients browser measures one server: use --replicas 1")
    chromium = ensure_browser() if args.clients == "browser" else None
    folder = Path(tempfile.mkdtemp(prefix="bench_workshop_"))
    rows, costs = [], []
    with contextlib.ExitStack() as stack:
        try:
            where, database = stack.enter_context(deployment(args.replicas, args.db, folder))
        except Unavailable as why:
            sys.exit(f"cannot measure {args.replicas} replica(s) on {args.db} here: {why}")
        print(f"serving: {where.what}; CPU counted over {len(where.pids)} processes (servers, proxy, database)")
        for n in args.participants:
            if args.clients == "ws":
                r = asyncio.run(one_room_ws(n, args.moves, args.pace, where, database))
            else:
                r = asyncio.run(one_room(n, args.moves, args.pace, chromium, where, database))
            rows.append((n, r))
        if args.clients == "ws":
            costs = asyncio.run(session_cost(where, database))
    report(rows, args.clients, args.pace)
    if costs:
        print(
            "a new participant's session, one at a time, server CPU-s: connect -> join page "
            + ", ".join(f"{c:.2f}" for c, _ in costs)
            + "; Join -> team's page "
            + ", ".join(f"{c:.2f}" for _, c in costs)
        )


if __name__ == "__main__":
    main()
