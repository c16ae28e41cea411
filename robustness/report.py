"""Files of a robustness run: ``robustness.csv``, ``boxes.csv``, charts and ``report.md``."""

from __future__ import annotations

import json
import time
from pathlib import Path

import altair as alt
import pandas as pd

import sd_model

from .analysis import discover, evaluate, summarise
from .experiments import futures
from .targets import read_objectives, read_targets
from .targets import targets_file as targets_path


def share_chart(table: pd.DataFrame, labels: dict[str, str]) -> alt.Chart:
    """Share of futures meeting each target, per scenario."""
    data = table.assign(target_label=table["target"].map(labels))
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("scenario:N", sort=None, title=None),
            x=alt.X(
                "share_met:Q",
                title="share of futures meeting the target",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%"),
            ),
            color=alt.Color("target_label:N", legend=None),
            tooltip=[
                "scenario",
                "target_label",
                alt.Tooltip("share_met:Q", format=".1%"),
                alt.Tooltip("regret_mean:Q", format=".3f"),
            ],
        )
        .properties(width=220, height=160)
        .facet(facet=alt.Facet("target_label:N", title=None), columns=3)
    )


def cost_axis(model: sd_model.Model, objectives) -> tuple[str, float]:
    """Title and divisor of the cost axis: billions for a cost in yuan (the project's model), else the
    cost output's label and units as they are."""
    output = next(o for o in model.outputs if o.name == objectives.cost_output)
    final = f"{model.times()[-1]:g}"
    if output.units == "yuan":
        return f"{output.label_en} by {final}, median (billion yuan)", 1e9
    return f"{output.label_en} at {final}, median ({output.units or 'its units'})", 1.0


def cost_chart(table: pd.DataFrame, title: str = "cumulative fiscal cost to 2035, median (billion yuan)",
               scale: float = 1e9) -> alt.Chart:  # fmt: skip
    """Robustness (share of futures meeting every target) against median cost (divided by ``scale``)."""
    data = table[table["target"] == "all"].assign(cost_billion=lambda d: d["cost_median"] / scale)
    base = alt.Chart(data).encode(
        x=alt.X("cost_billion:Q", title=title),
        y=alt.Y("share_met:Q", title="share of futures meeting every target", axis=alt.Axis(format="%")),
    )
    return (
        base.mark_point(filled=True, size=90) + base.mark_text(dx=8, align="left").encode(text="scenario:N")
    ).properties(width=520, height=320, title="Robustness against cost")


def trajectory_chart(trajectories: dict) -> alt.Chart:
    """PRIM peeling trajectories (coverage against density), the chosen box marked."""
    rows = [t.assign(scenario=s, target=g) for (s, g), t in trajectories.items() if g == "all"]
    data = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["coverage", "density", "scenario", "chosen", "res_dim"])
    )
    base = alt.Chart(data).encode(
        x=alt.X("coverage:Q", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("density:Q", scale=alt.Scale(domain=[0, 1])),
        color="scenario:N",
    )
    line = base.mark_line(point=True).encode(tooltip=["scenario", "coverage", "density", "res_dim"])
    chosen = base.transform_filter("datum.chosen").mark_point(size=200, shape="diamond", filled=True)
    return (line + chosen).properties(
        width=520, height=320, title="PRIM peeling trajectories (misses of all targets); diamond: the box reported"
    )


def run_robustness(
    scenario_names: list[str],
    *,
    n: int = 4000,
    seed: int = 0,
    prior: bool = False,
    targets_file: str | Path | None = None,
    out: Path | None = None,
    model: sd_model.Model | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Robustness and scenario discovery for named scenarios (names or scenario files); writes into ``out``.

    ``targets_file`` defaults to the one beside the model; ``model`` to the project's.

    Returns
    -------
    robustness, boxes : pandas.DataFrame
    """
    started = time.perf_counter()
    model = model or sd_model.default_model()
    targets_file = targets_file or targets_path(model)
    targets, objectives = read_targets(targets_file, model), read_objectives(targets_file, model)
    scenarios = {}
    for name in scenario_names:
        scenario = sd_model.load_scenario(name, model)
        scenarios[Path(name).stem if name.endswith(".toml") else name] = scenario.parameters
    if not scenarios:  # a model with no named scenarios: its defaults
        scenarios = {"defaults": {}}
    worlds = futures(n, seed, prior=prior, model=model)
    frame = evaluate(scenarios, worlds, targets, model=model, objectives=objectives)
    evaluated = time.perf_counter()
    table = summarise(frame, targets)
    boxes, trajectories = discover(frame, worlds, targets, list(scenarios), model)
    seconds = time.perf_counter() - started
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        table.to_csv(out / "robustness.csv", index=False)
        boxes.to_csv(out / "boxes.csv", index=False)
        labels = {t.name: t.short_en for t in targets} | {"all": "all targets"}
        charts = {"share_met": share_chart(table, labels), "peeling": trajectory_chart(trajectories)}
        if objectives.cost_output:
            charts["cost"] = cost_chart(table, *cost_axis(model, objectives))
        for name, chart in charts.items():
            for suffix in ("png", "html"):
                chart.save(str(out / f"{name}.{suffix}"))
        info = {
            "scenarios": list(scenarios),
            "n": n,
            "seed": seed,
            "futures": "full ranges" if prior else "posterior",
            "targets_file": str(targets_file),
            "cost": list(cost_axis(model, objectives)) if objectives.cost_output else None,
            "model_digest": model.digest,
            "runs": len(frame),
            "seconds_evaluating": round(evaluated - started, 2),
            "seconds_total": round(seconds, 2),
        }
        (out / "manifest.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
        (out / "report.md").write_text(report_text(table, boxes, targets, info), encoding="utf-8")
    return table, boxes


def report_text(table: pd.DataFrame, boxes: pd.DataFrame, targets, info: dict) -> str:
    """The Markdown report of a robustness run."""
    names = [t.name for t in targets] + ["all"]
    pivot = table.pivot(index="scenario", columns="target", values="share_met").loc[info["scenarios"], names]
    cost = table[table["target"] == "all"].set_index("scenario").loc[info["scenarios"]]
    cost_title, scale = info.get("cost") or ("cost (none named)", 1.0)
    lines = [
        "# Robustness of the scenarios",
        "",
        f"{len(info['scenarios'])} scenarios × {info['n']:,} futures ({info['futures']}, seed {info['seed']}), "
        f"{info['runs']:,} runs; {info['seconds_total']:.1f} s in all "
        f"({info['seconds_evaluating']:.1f} s running the model).",
        "",
        "## Targets",
        "",
    ]
    lines += [f"- **{t.short_en}** (`{t.name}`): {t.label_en}. {t.why}" for t in targets]
    lines += [
        "",
        "## Share of futures meeting each target",
        "",
        "| scenario | " + " | ".join(names) + f" | {cost_title} | regret (all), mean |",
        "|---|" + "---|" * (len(names) + 2),
    ]
    for scenario, row in pivot.iterrows():
        c = cost.loc[scenario]
        lines.append(
            f"| {scenario} | "
            + " | ".join(f"{row[n]:.1%}" for n in names)
            + f" | {c['cost_median'] / scale:.4g} | {c['regret_mean']:.3f} |"
        )
    lines += [
        "",
        "Regret: in each future, the best margin among these scenarios minus the scenario's own (margins are "
        "relative to each threshold; for `all`, the smallest margin of the targets).",
        "",
        "![share met](share_met.png) ([interactive](share_met.html))",
        "",
        "![cost](cost.png) ([interactive](cost.html))",
        "",
        "## Where each scenario fails (PRIM)",
        "",
        "Boxes over the uncertainties and historical settings that hold most of the futures in which a scenario "
        "misses (the EMA Workbench's PRIM; the densest box on the peeling trajectory that keeps at least 80 % of "
        "those futures). Coverage: the share of the misses inside the box; density: the share of the futures in the "
        "box that miss. qp: quasi-p-values of each restriction.",
        "",
    ]
    for (_, target), part in boxes.groupby(["scenario", "target"], sort=False):
        if target != "all" and part["share_missed"].iloc[0] < 0.01:
            continue
        lines.append(f"- {part['sentence'].iloc[0]}")
        for r in part[part["parameter"] != ""].itertuples():
            lines.append(f"  - `{r.parameter}` in [{r.low:.4g}, {r.high:.4g}] (qp {r.qp_low:.2g} / {r.qp_high:.2g})")
    lines += [
        "",
        "![peeling](peeling.png) ([interactive](peeling.html))",
        "",
        "## Files",
        "",
        "- `robustness.csv`: scenario, target, share_met, margin, regret, cost",
        "- `boxes.csv`: the PRIM boxes, one row per restricted parameter",
        "- `share_met`, `cost`, `peeling` charts (PNG, HTML); `manifest.json`",
        "",
    ]
    return "\n".join(lines)
