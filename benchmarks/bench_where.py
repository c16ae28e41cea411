"""Benchmark: the *Where* page of the split model in a real browser, on a first visit and after a slider moves.

Starts the explorer on ``models/sites/relocation_sites.mdl`` and Chromium (Playwright; found or installed
by ``tests/browser.py``), opens the Where page and times

- the first visit: from ``page.goto`` to the page settled (the script run finished, no stale element,
  both charts drawn and both tables shown), for a first and a second visitor;
- slider moves: levers one after another to the top of their range by key press (values never computed
  before), from the key press to the page settled again. The first move warms the caches and is not
  counted.

Prints medians and, as the reference measured in the same run, one run of the split model in process
(``bench_engine.one_run``, the median of five).

    .venv/bin/python benchmarks/bench_where.py [--repeat 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench_engine import one_run
from playwright.sync_api import sync_playwright

import sd_model
from sd_model.paths import ROOT
from sd_model.split import SPLIT_MDL

sys.path.insert(0, str(ROOT))
from tests.browser import CHROMIUM_FLAGS, ensure_browser, slider_label, streamlit_server

WATCH_JS = """() => {
  window.__bench = {running: false};
  const app = document.querySelector('[data-testid="stApp"]');
  new MutationObserver((_, observer) => {
    if (app.getAttribute('data-test-script-state') !== 'running') return;
    window.__bench.running = true;
    observer.disconnect();
  }).observe(app, {attributes: true});
}"""
SETTLED_JS = """(watched) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (watched && !(window.__bench && window.__bench.running)) return false;
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  const tables = document.querySelectorAll('[data-testid="stDataFrame"]');
  return charts.length >= 2 && tables.length >= 2 && [...charts].every(c => c.querySelector('canvas, svg'));
}"""


def visit(browser, url: str) -> float:
    """Seconds from opening the Where page in a new browser page to the page settled."""
    page = browser.new_page(viewport={"width": 1500, "height": 1600})
    start = time.perf_counter()
    page.goto(f"{url}/where", wait_until="commit")
    page.wait_for_function(SETTLED_JS, arg=False, polling="raf", timeout=240_000)
    seconds = time.perf_counter() - start
    page.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=6)
    args = parser.parse_args()
    model = sd_model.load_model(SPLIT_MDL)
    reference = one_run(model, 5, "compiled")
    chromium = ensure_browser()
    log = ROOT / "tests" / "artifacts" / "bench_where_streamlit.log"
    moves = []
    with streamlit_server(log, timeout=300, args=["--mdl", str(SPLIT_MDL)]) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        first, second = visit(browser, url), visit(browser, url)
        page = browser.new_page(viewport={"width": 1500, "height": 1600})
        page.goto(f"{url}/where")
        page.wait_for_function(SETTLED_JS, arg=False, timeout=240_000)
        levers = [p for p in model.parameters if p.kind == "lever" and p.theme not in ("policy", "targeted")]
        for i, p in enumerate(levers[: args.repeat + 1]):
            label = slider_label(p)
            thumb = page.locator(f'[data-testid="stSidebar"] input[type="range"][aria-label="{label}"]')
            thumb.focus()
            page.evaluate(WATCH_JS)
            start = time.perf_counter()
            thumb.press("End")
            page.wait_for_function(SETTLED_JS, arg=True, polling="raf", timeout=120_000)
            if i:  # the first move warms the server's caches
                moves.append(time.perf_counter() - start)
        browser.close()
    print(f"{'Where page of the split model':62s} {'ms':>10s} {'x one run':>10s}")
    for name, seconds in [
        ("one run of the split model in process (reference)", reference),
        ("first visitor: to the page settled", first),
        ("second visitor: to the page settled", second),
        ("slider move: key press to the page settled (median)", statistics.median(moves)),
    ]:
        print(f"{name:62s} {seconds * 1000:10.0f} {seconds / reference:10.0f}")
    print(f"slider moves, all (ms): {', '.join(f'{s * 1000:.0f}' for s in moves)}")
    print("target (issue 24): the page settled within 1 s of a slider move")


if __name__ == "__main__":
    main()
