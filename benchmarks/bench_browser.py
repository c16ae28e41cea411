"""Benchmark: how soon the page shows in a real browser, on a first visit and after a slider moves.

Starts ``streamlit run app.py`` and Chromium (Playwright; found or installed by ``tests/browser.py``).

- Cold first visit: the server is up but no page has been served; a new browser opens the explorer.
  Timed from ``page.goto`` to the first KPI card with its value, and to the page settled.
- Slider moves: one lever after another to the top of its range by key press (so every move asks
  for values never computed before), timed from the key press to ``card``, the KPI cards redrawn
  with the new run's values, and to ``settled``: the script run finished (``stApp`` back to
  ``notRunning``), no stale element left and every chart drawn.

Checks are made on every animation frame. Prints medians and, as the reference measured in the same
run, the in-process compute of a slider change (``bench_app.compute``).

    .venv/bin/python benchmarks/bench_browser.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from bench_app import compute, median_time
from playwright.sync_api import sync_playwright

import sd_model
from sd_model.paths import ROOT

sys.path.insert(0, str(ROOT))
from tests.browser import CHROMIUM_FLAGS, ensure_browser, slider_label, streamlit_server

WATCH_JS = """() => {
  // Record when the next run starts, and when the cards next change after it started.
  window.__bench = {running: false, cards: null};
  const app = document.querySelector('[data-testid="stApp"]');
  const cards = () => [...document.querySelectorAll('[data-testid="stMetric"]')].map(m => m.innerText).join('|');
  const before = cards();
  new MutationObserver((_, observer) => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__bench.running = true;
    if (window.__bench.cards === null && cards() !== before) window.__bench.cards = true;
    if (window.__bench.running && window.__bench.cards) observer.disconnect();
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
CARDS_JS = "() => window.__bench.cards === true"
SETTLED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (window.__bench && !window.__bench.running) return false;
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]');
  return charts.length >= 6 && [...charts].every(c => c.querySelector('canvas, svg'));
}"""
FIRST_CARD_JS = (
    """() => [...document.querySelectorAll('[data-testid="stMetricValue"]')].some(v => v.innerText.trim())"""
)


def cold_visit(browser, url: str) -> tuple[float, float]:
    """Seconds from opening the explorer in a new page to the first KPI card, and to the page settled."""
    page = browser.new_page(viewport={"width": 1500, "height": 1400})
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(FIRST_CARD_JS, polling="raf", timeout=120_000)
    card = time.perf_counter() - start
    page.wait_for_function(SETTLED_JS.replace("window.__bench && ", "false && "), polling="raf", timeout=120_000)
    settled = time.perf_counter() - start
    page.close()
    return card, settled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    sd_model.run()
    compute(0.3)
    reference = median_time(compute, [0.31 + 0.05 * i for i in range(args.repeat)])
    cards, settled = [], []
    chromium = ensure_browser()
    with streamlit_server(ROOT / "tests" / "artifacts" / "bench_streamlit.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_FLAGS)
        cold_card, cold_settled = cold_visit(browser, url)
        warm_card, warm_settled = cold_visit(browser, url)  # a second visitor: the server's caches are warm
        page = browser.new_page(viewport={"width": 1500, "height": 1400})
        page.goto(url)
        page.wait_for_function(SETTLED_JS, timeout=120_000)
        # levers that move a card in the headline year (the policy timing levers may not)
        levers = [p for p in sd_model.parameters("lever") if p.theme != "policy"][: args.repeat + 1]
        for i, p in enumerate(levers):
            label = slider_label(p)
            thumb = page.locator(f'[data-testid="stSidebar"] input[type="range"][aria-label="{label}"]')
            thumb.focus()
            page.evaluate(WATCH_JS)
            start = time.perf_counter()
            thumb.press("End")
            page.wait_for_function(CARDS_JS, polling="raf", timeout=30_000)
            card = time.perf_counter() - start
            page.wait_for_function(SETTLED_JS, polling="raf", timeout=30_000)
            if i:  # the first move warms the server's caches
                cards.append(card)
                settled.append(time.perf_counter() - start)
        browser.close()
    print(f"{'first visit':62s} {'ms':>10s}")
    for name, seconds in [
        ("cold: server up, first visitor: to the first KPI card", cold_card),
        ("cold: to the page settled", cold_settled),
        ("second visitor: to the first KPI card", warm_card),
        ("second visitor: to the page settled", warm_settled),
    ]:
        print(f"{name:62s} {seconds * 1000:10.0f}")
    print("target: first KPI card within 3 s of a cold first visit")
    print()
    print(f"{'path':62s} {'median ms':>10s} {'x compute':>10s}")
    for name, seconds in [
        ("compute in process: run + baseline + ensemble + charts (ref)", reference),
        ("browser: key press to the cards redrawn", statistics.median(cards)),
        ("browser: key press to the page settled (run done, charts drawn)", statistics.median(settled)),
    ]:
        print(f"{name:62s} {seconds * 1000:10.1f} {seconds / reference:10.1f}")
    print(f"browser settled, all moves (ms): {', '.join(f'{s * 1000:.0f}' for s in settled)}")
    print("target: the page settles within 1 s")


if __name__ == "__main__":
    main()
