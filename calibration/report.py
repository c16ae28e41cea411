"""What a posterior says: predictive checks against the observations, which parameters the data
identify, correlations, diagnostics; written as NetCDF, CSV, Markdown and charts (PNG and HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

from sd_model.batch import run_batch
from sd_model.model import Model, load_model

from .observations import model_values, needed_outputs
from .posterior import DRAWS_FILE, RHAT_MAX, Posterior

#: Posterior contraction (1 - posterior variance / prior variance) from which the data identify a
#: parameter, and below which it stays at its prior.
IDENTIFIED, AT_PRIOR = 0.5, 0.1
#: Correlations reported.
CORRELATION_MIN = 0.4


def predictive(
    posterior: Posterior, observations, *, n: int = 4000, seed: int = 0, model: Model | None = None
) -> pd.DataFrame:
    """Posterior predictive of every observation (targets and holdouts) from ``n`` posterior draws.

    Returns
    -------
    pandas.DataFrame
        One row per observation: ``role``, ``observed``, ``sd``, the model quantity's 5/50/95 %
        quantiles (``model_q05`` ...) and the predictive's (model plus observation error,
        ``pred_q05`` ...), and ``inside`` (the observed figure within the predictive 90 % interval).
    """
    model = model or load_model()
    rng = np.random.default_rng(seed)
    draws = posterior.draws()
    sample = draws.iloc[rng.integers(len(draws), size=n)].reset_index(drop=True)
    final_time = max(o.year for o in observations)
    dataset = run_batch(
        sample, outputs=needed_outputs(observations), final_time=final_time, progress=False, model=model
    )
    values = model_values(dataset, observations)
    sd = np.array([o.sd for o in observations])
    noisy = values + rng.standard_normal(values.shape) * sd
    rows = []
    for j, o in enumerate(observations):
        m = np.quantile(values[:, j], [0.05, 0.5, 0.95])
        p = np.quantile(noisy[:, j], [0.05, 0.5, 0.95])
        rows.append(
            {
                "observation": o.name,
                "label": o.label_en,
                "role": o.role,
                "output": o.output,
                "year": o.year,
                "observed": o.value,
                "sd": o.sd,
                "model_q05": m[0],
                "model_q50": m[1],
                "model_q95": m[2],
                "pred_q05": p[0],
                "pred_q50": p[1],
                "pred_q95": p[2],
                "inside": bool(p[0] <= o.value <= p[2]),
            }
        )
    return pd.DataFrame(rows).set_index("observation")


def identification(posterior: Posterior, model: Model | None = None) -> pd.DataFrame:
    """Per calibrated parameter: prior bounds, posterior median and 90 % interval, contraction, verdict.

    Contraction is ``1 - posterior variance / prior variance`` (the prior is uniform, variance
    ``(high - low)^2 / 12``): near 1 the data pin the parameter down, near 0 it stays at its prior.
    """
    model = model or load_model()
    table = model.parameter_table
    draws = posterior.draws()
    rows = []
    for name in posterior.names:
        p, x = table[name], draws[name].to_numpy()
        prior_var = (p.high - p.low) ** 2 / 12
        contraction = 1 - x.var() / prior_var
        q05, q50, q95 = np.quantile(x, [0.05, 0.5, 0.95])
        verdict = "identified" if contraction >= IDENTIFIED else "at prior" if contraction < AT_PRIOR else "partly"
        rows.append(
            {
                "parameter": name,
                "kind": p.kind,
                "low": p.low,
                "high": p.high,
                "default": p.default,
                "q05": q05,
                "q50": q50,
                "q95": q95,
                "contraction": contraction,
                "verdict": verdict,
                "default_inside": bool(q05 <= p.default <= q95),
            }
        )
    for p in posterior.prior_only:
        rows.append(
            {
                "parameter": p.name,
                "kind": p.kind,
                "low": p.low,
                "high": p.high,
                "default": p.default,
                "q05": p.low + 0.05 * (p.high - p.low),
                "q50": (p.low + p.high) / 2,
                "q95": p.low + 0.95 * (p.high - p.low),
                "contraction": 0.0,
                "verdict": "moves no target",
                "default_inside": True,
            }
        )
    return pd.DataFrame(rows).set_index("parameter")


def correlations(posterior: Posterior, minimum: float = CORRELATION_MIN) -> pd.DataFrame:
    """Pairs of sampled parameters whose posterior correlation is at least ``minimum`` in size."""
    corr = posterior.draws().corr().to_numpy()
    names = posterior.names
    pairs = [(names[i], names[j], corr[i, j]) for i in range(len(names)) for j in range(i + 1, len(names))]
    frame = pd.DataFrame(pairs, columns=["a", "b", "correlation"])
    frame = frame[frame["correlation"].abs() >= minimum]
    return frame.reindex(frame["correlation"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def predictive_chart(table: pd.DataFrame) -> alt.Chart:
    """Each observation's predictive 90 % interval, model 90 % interval and median, and the figure."""
    data = table.reset_index()
    scale = data["observed"]
    for column in ("model_q05", "model_q50", "model_q95", "pred_q05", "pred_q95", "observed"):
        data[f"{column}_rel"] = data[column] / scale
    base = alt.Chart(data).encode(y=alt.Y("observation:N", sort=None, title=None))
    x = alt.X("pred_q05_rel:Q", title="relative to the published figure (1 = the figure)", scale=alt.Scale(zero=False))
    predictive_rule = base.mark_rule(strokeWidth=2, color="#9ecae1").encode(x=x, x2="pred_q95_rel:Q")
    model_rule = base.mark_rule(strokeWidth=6, color="#3182bd").encode(x="model_q05_rel:Q", x2="model_q95_rel:Q")
    median = base.mark_tick(color="#08519c", thickness=2, size=14).encode(x="model_q50_rel:Q")
    observed = base.mark_point(shape="diamond", filled=True, size=80).encode(
        x="observed_rel:Q",
        color=alt.Color("role:N", scale=alt.Scale(domain=["target", "holdout"], range=["#d62728", "#ff7f0e"])),
        tooltip=["observation", "label", "observed", "model_q05", "model_q50", "model_q95", "pred_q05", "pred_q95"],
    )
    return (predictive_rule + model_rule + median + observed).properties(
        width=520, title="Posterior predictive (light: with observation error; dark: model) against each figure"
    )


def parameters_chart(posterior: Posterior, ident: pd.DataFrame) -> alt.Chart:
    """Posterior histogram of each sampled parameter over its prior range (the prior is flat)."""
    draws = posterior.draws()
    rows = []
    for name in posterior.names:
        row = ident.loc[name]
        counts, edges = np.histogram((draws[name] - row["low"]) / (row["high"] - row["low"]), bins=20, range=(0, 1))
        density = counts / counts.sum() * 20
        label = f"{name} ({row['verdict']})"
        rows += [
            {"parameter": label, "position": (a + b) / 2, "density": d}
            for a, b, d in zip(edges[:-1], edges[1:], density, strict=True)
        ]
    base = alt.Chart(pd.DataFrame(rows))
    bars = base.mark_bar(color="#3182bd").encode(
        x=alt.X(
            "position:Q", bin=alt.Bin(step=0.05, extent=[0, 1]), title="position in the prior range (0 = low, 1 = high)"
        ),
        y=alt.Y("density:Q", title="density"),
    )
    prior = base.mark_rule(color="#999", strokeDash=[4, 3]).encode(y=alt.datum(1))
    return (
        alt.layer(bars, prior)
        .properties(width=150, height=90)
        .facet(facet=alt.Facet("parameter:N", title=None), columns=5)
        .properties(title="Prior (dashed, uniform) against posterior, per calibrated parameter")
    )


def write_posterior(posterior: Posterior, out: Path, observations, *, model: Model | None = None) -> dict:
    """Write the draws, the tables, the charts and ``report.md`` into ``out``.

    Returns
    -------
    dict
        File names written, by kind.
    """
    model = model or load_model()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    posterior.idata.to_netcdf(str(out / DRAWS_FILE))
    table = predictive(posterior, observations, model=model)
    ident = identification(posterior, model)
    corr = correlations(posterior)
    table.to_csv(out / "predictive.csv")
    ident.to_csv(out / "parameters.csv")
    corr.to_csv(out / "correlations.csv", index=False)
    posterior.diagnostics.to_csv(out / "diagnostics.csv")
    for name, chart in (("predictive", predictive_chart(table)), ("parameters", parameters_chart(posterior, ident))):
        for suffix in ("png", "html"):
            chart.save(str(out / f"{name}.{suffix}"))
    (out / "report.md").write_text(report_text(posterior, table, ident, corr), encoding="utf-8")
    manifest = {k: v for k, v in posterior.idata.attrs.items() if k != "prior_only"}
    manifest |= {
        "converged": posterior.converged,
        "settings": posterior.settings,
        "prior_only": [p.name for p in posterior.prior_only],
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return {
        "draws": DRAWS_FILE,
        "tables": ["predictive.csv", "parameters.csv", "correlations.csv", "diagnostics.csv"],
        "charts": ["predictive.png", "predictive.html", "parameters.png", "parameters.html"],
        "report": "report.md",
    }


def readme_table(ident: pd.DataFrame) -> str:
    """The posterior of each calibrated parameter as a pipe table for ``models/README.md``."""
    lines = [
        "| parameter | kind | prior (uniform) | default | posterior median | 90 % interval | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in ident.sort_values(["contraction", "kind"], ascending=[False, True]).iterrows():
        lines.append(
            f"| `{name}` | {r.kind} | {_fmt(r.low)} – {_fmt(r.high)} | {_fmt(r.default)} | {_fmt(r.q50)} | "
            f"{_fmt(r.q05)} – {_fmt(r.q95)} | {r.verdict} |"
        )
    return "\n".join(lines) + "\n"


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10_000 else f"{x:.4g}"


def report_text(posterior: Posterior, table: pd.DataFrame, ident: pd.DataFrame, corr: pd.DataFrame) -> str:
    """The Markdown report of a posterior."""
    s = posterior.settings
    d = posterior.diagnostics
    lines = [
        "# Posterior calibration",
        "",
        f"{len(posterior.names)} parameters sampled "
        f"({len(posterior.prior_only)} more move no target and keep their prior): "
        f"{s['runs']} independent runs of {s['particles']:,} particles, seed {s['seed']}, "
        f"{s['workers']} worker process(es); "
        f"{s['model_runs']:,} model runs in {posterior.seconds:.1f} s. "
        f"Per run: {', '.join(map(str, s['stages']))} temperature stages, "
        f"{', '.join(map(str, s['steps']))} emcee steps, mean acceptance {', '.join(map(str, s['acceptance']))}.",
        "",
        f"**{posterior.convergence_message()}**",
        "",
        "Likelihood: independent normal errors around the model's value of each target, with the widths of "
        "`models/calibration.toml` (each with its reason). Priors: uniform over each parameter's bounds. "
        "Sampler: sequential Monte Carlo with adaptive likelihood tempering, the particles moved at each temperature "
        "by emcee's ensemble sampler (differential-evolution moves, every particle a walker, all evaluated in one "
        "vectorised batch), in logit coordinates.",
        "",
        "## Targets and holdouts against the posterior predictive",
        "",
        "Model: the 90 % interval of the model's quantity over the posterior. "
        "Predictive: with the observation error added.",
        "",
        "| observation | role | published | model median | model 90 % | predictive 90 % | inside |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        lines.append(
            f"| {r.label} ({r.year}) | {r.role} | {_fmt(r.observed)} | {_fmt(r.model_q50)} | "
            f"{_fmt(r.model_q05)} – {_fmt(r.model_q95)} | {_fmt(r.pred_q05)} – {_fmt(r.pred_q95)} | "
            f"{'yes' if r.inside else '**no**'} |"
        )
    lines += [
        "",
        "![predictive](predictive.png) ([interactive](predictive.html))",
        "",
        "## What the data identify",
        "",
        f"Contraction = 1 − posterior variance / prior variance: identified ≥ {IDENTIFIED}, at prior < {AT_PRIOR}.",
        "",
        "| parameter | kind | prior | default | median | 90 % interval | contraction | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in ident.sort_values("contraction", ascending=False).iterrows():
        flag = "" if r.default_inside else " (outside)"
        lines.append(
            f"| `{name}` | {r.kind} | {_fmt(r.low)} – {_fmt(r.high)} | {_fmt(r.default)}{flag} | {_fmt(r.q50)} | "
            f"{_fmt(r.q05)} – {_fmt(r.q95)} | {r.contraction:.2f} | {r.verdict} |"
        )
    counts = ident["verdict"].value_counts()
    lines += [
        "",
        ", ".join(f"{v}: {counts[v]}" for v in counts.index) + ".",
        "",
        "![parameters](parameters.png) ([interactive](parameters.html))",
        "",
        "## Correlations",
        "",
    ]
    if corr.empty:
        lines += [f"No pair of parameters is correlated by {CORRELATION_MIN} or more.", ""]
    else:
        lines += [
            f"Pairs with |r| ≥ {CORRELATION_MIN}: the data fix a combination, not each alone.",
            "",
            "| a | b | r |",
            "|---|---|---|",
        ]
        lines += [f"| `{r.a}` | `{r.b}` | {r.correlation:+.2f} |" for r in corr.head(20).itertuples()] + [""]
    lines += [
        "## Diagnostics",
        "",
        f"Per parameter: rank-normalised split R-hat (limit {RHAT_MAX}) and bulk and tail ESS (arviz), "
        "each independent run a chain: R-hat above the limit means the runs disagree. The ESS counts the "
        "autocorrelation between neighbouring particles, which resampling copies.",
        "",
        f"R-hat: max {d['r_hat'].max():.3f}, median {d['r_hat'].median():.3f}. "
        f"Bulk ESS: min {d['ess_bulk'].min():.0f}.",
        "",
        "| parameter | R-hat | ESS bulk | ESS tail |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{n}` | {r.r_hat:.3f} | {r.ess_bulk:.0f} | {r.ess_tail:.0f} |"
        for n, r in d.sort_values("r_hat", ascending=False).iterrows()
    ]
    lines += [
        "",
        "## Files",
        "",
        f"- `{DRAWS_FILE}`: the draws (arviz InferenceData, NetCDF; `arviz.from_netcdf`), one variable per sampled "
        "parameter over (chain = run, draw = particle)",
        "- `predictive.csv`, `parameters.csv`, `correlations.csv`, `diagnostics.csv`: the tables above",
        "- `predictive.png|html`, `parameters.png|html`: the charts",
        "- `manifest.json`: model digest, settings, convergence",
        "",
    ]
    return "\n".join(lines)
