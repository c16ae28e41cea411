"""Benchmark: from a slider change to recomputed results, including the uncertainty ensemble.

Measures, in one process:
- compute: ``sd_model.run`` of the scenario + the 500-run ensemble of bands and robustness strip
  (``explorer.ensemble.futures_run``) + building the Altair charts, for lever values never seen before (no cache);
- why: pysimlin's loop scores (``sd_model.loop_dominance.loop_scores``) for new lever values, the Why? panel's work;
- rerun: a full Streamlit script rerun under ``AppTest`` after ``slider.set_value`` (uncached
  values), which adds Streamlit's own work;
and prints medians, with the ratio to one ``sd_model.run`` measured in the same run.

    .venv/bin/python benchmarks/bench_app.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import statistics
import time

import sd_model
from explorer import charts, ensemble
from sd_model.paths import ROOT


def median_time(func, values) -> float:
    times = []
    for value in values:
        start = time.perf_counter()
        func(value)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compute(value: float) -> None:
    params = {"training_coverage": value}
    results = sd_model.run(params)
    baseline = sd_model.run()
    levers = {p.name: p.default for p in sd_model.parameters("lever")} | params
    bands = ensemble.futures_run(levers, n=500)[0]
    labels = {o.name: o.label_en for o in sd_model.outputs()}
    lines = charts.kpi_long({"scenario": results, "baseline": baseline}, labels)
    for kpi in sd_model.KPIS:
        charts.kpi_spec(lines, bands, "en", kpi, dash_series="baseline")
    charts.people_spec(charts.people_long(results, labels), "en")
    charts.income_spec(charts.income_long(results, "en"), "en")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    values = [0.31 + 0.05 * i for i in range(args.repeat)]
    sd_model.run()
    compute(0.3)  # warm caches of the model and the batch engine
    reference = median_time(lambda v: sd_model.run({"training_coverage": v}), [v + 0.001 for v in values])
    pure = median_time(compute, [v + 0.002 for v in values])
    from sd_model.loop_dominance import loop_scores

    loop_scores({"training_coverage": 0.3})  # warm pysimlin
    why = median_time(lambda v: loop_scores({"training_coverage": v}), [v + 0.004 for v in values])

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    rerun = median_time(
        lambda v: at.slider(key="p_training_coverage").set_value(round(v, 4)).run(), [v + 0.003 for v in values]
    )
    cached = median_time(
        lambda v: at.slider(key="p_training_coverage").set_value(round(v, 4)).run(), [v + 0.003 for v in values]
    )
    print(f"{'path':58s} {'median ms':>10s} {'x one run':>10s}")
    for name, seconds in [
        ("one sd_model.run (reference)", reference),
        ("compute: run + baseline + 500-run ensemble (bands, strip) + charts", pure),
        ("Why? panel: pysimlin loop scores for new slider values", why),
        ("AppTest rerun after a slider change (uncached values)", rerun),
        ("AppTest rerun, values seen before (cached)", cached),
    ]:
        print(f"{name:58s} {seconds * 1000:10.1f} {seconds / reference:10.1f}")
    print("targets: slider change to recomputed results <= 300 ms; loop scores <= 200 ms")


if __name__ == "__main__":
    main()
