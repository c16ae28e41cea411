"""Benchmark: a workshop room with N participants on one server (the 2-core machine).

One explorer server (SQLite in a temporary folder), the room's screen open in Chromium, and N
participants, each a headless Chromium page in its own browser context (Playwright's async API, all
in one browser process on the same cores as the server: the figures include that load). Each
participant joins, then moves a lever ``--moves`` times by key press (a value never computed before)
and submits after each move. Measured:

- move -> cards: from the key press to the KPI cards of the team's page showing the new run's values;
- submit -> screen: from the click on *Submit* to the team's name in the screen's list of proposals;
- errors (a timeout, an exception shown on a page) and lost or duplicated submissions (the database
  against the submits that reported success);
- the server's CPU seconds per move (``/proc/<pid>/stat``, user + system, over the whole run divided by
  the moves), and the moves a second the two cores could serve at that cost.

    .venv/bin/python benchmarks/bench_workshop.py [--participants 10 30] [--moves 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import sd_model
from sd_model.paths import ROOT

sys.path.insert(0, str(ROOT))
from tests.browser import CHROMIUM_FLAGS, PROCESSES, ensure_browser, slider_label, streamlit_server
from workshop import rooms
from workshop.room_file import read_room_file
from workshop.store import URL_ENV, open_store

ROOM_FILE = ROOT / "models" / "rooms" / "county_workshop.toml"
LEVERS = ("training_coverage", "industry_jobs_per_worker", "community_governance", "order_based_share")
CARDS_JS = """(before) => {
  const cards = [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(m => m.innerText).join('|');
  return cards && cards !== before;
}"""
READ_CARDS_JS = (
    """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')].map(m => m.innerText).join('|')"""
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, q: float) -> float:
    """The ``q`` quantile (0-1) of ``values``, the nearest of them (NaN for none)."""
    return float(np.percentile(values, 100 * q, method="nearest")) if values else float("nan")


async def participant(browser, url, code, i, moves, screen, results) -> None:
    label = {p.name: p for p in sd_model.default_model().parameters}
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    name = f"Team {i:02d}"
    try:
        await page.goto(f"{url}/room?room={code}", timeout=300_000)
        await page.get_by_label("Team").fill(name, timeout=300_000)
        await page.get_by_role("button", name="Join").click()
        await page.get_by_role("button", name="Submit the proposal").wait_for(timeout=300_000)
        await page.wait_for_function(READ_CARDS_JS, timeout=300_000)
        for k in range(moves):
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


async def one_room(n: int, moves: int, chromium: Path, url: str, pid: int, database: str) -> dict:
    from playwright.async_api import async_playwright

    room_file = read_room_file(ROOM_FILE, sd_model.default_model())
    with open_store(database)() as session:
        created = rooms.create_room(session, room_file, sd_model.default_model().digest)
    results = {"move": [], "screen": [], "errors": [], "submitted": 0}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        screen = await (await browser.new_context(viewport={"width": 1600, "height": 1200})).new_page()
        await screen.goto(f"{url}/room?room={created.code}&screen=1", timeout=300_000)
        await screen.get_by_text("No proposal yet in this round.").wait_for(timeout=300_000)
        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(participant(browser, url, created.code, i, moves, screen, results) for i in range(n)))
        results["seconds"] = time.perf_counter() - started
        results["cpu"] = cpu_seconds(pid) - cpu
        await browser.close()
    with open_store(database)() as session:
        kept = rooms.submissions(session, rooms.room_by_code(session, created.code))
    results["kept"] = len(kept)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, nargs="+", default=[10, 30])
    parser.add_argument("--moves", type=int, default=3)
    args = parser.parse_args()
    chromium = ensure_browser()
    folder = Path(tempfile.mkdtemp(prefix="bench_workshop_"))
    database = f"sqlite:///{folder / 'rooms.sqlite'}"
    os.environ[URL_ENV] = database
    rows = []
    with streamlit_server(folder / "streamlit.log", timeout=300) as url:
        pid = next(iter(PROCESSES.values())).pid
        for n in args.participants:
            r = asyncio.run(one_room(n, args.moves, chromium, url, pid, database))
            rows.append((n, r))
    print("participants: headless Chromium pages, one browser, on the server's 2 cores")
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


if __name__ == "__main__":
    main()
