"""Sample, evaluate (resumably, in chunks), analyse per output and year, and write the results."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

import sd_model
from sd_model.batch import piece_size_for

from .methods import METHODS, get_method
from .problem import salib_problem, select_parameters, table_hash

CI_WIDTH_TARGET = 0.1
#: The largest step up in N the convergence check suggests at once (a near-zero index can ask for
#: millions of times more runs, which no one runs; 16 times N halves every interval twice).
MAX_N_GROWTH = 16

#: evaluate(X, names) -> {output: array (n, years)}
Evaluator = Callable[[np.ndarray, list[str]], dict[str, np.ndarray]]


def model_evaluator(outputs: Sequence[str], client=None, model: sd_model.Model | None = None) -> Evaluator:
    """Evaluate samples with :func:`sd_model.run_batch` (locally or on a Dask client)."""

    def evaluate(X: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
        dataset = sd_model.run_batch(X, names=names, outputs=list(outputs), client=client, progress=False, model=model)
        return {o: dataset[o].values for o in outputs}

    return evaluate


def _plain(t) -> int | float:
    """A saved time as JSON writes it: a whole number as an int (years), else a float."""
    return int(t) if float(t).is_integer() else float(t)


def parse_years(spec: str | Sequence[int] | None, available: Sequence[int]) -> list[int]:
    """Years to analyse: ``"all"``/None (every year after the initial one) or a list."""
    available = list(available)
    if spec is None or spec == "all":
        return available[1:] if len(available) > 1 else available
    if isinstance(spec, str):
        try:
            spec = [_plain(float(y)) for y in spec.split(",") if y.strip()]
        except ValueError:
            raise ValueError(f"years must be 'all' or comma-separated years, got {spec!r}") from None
    bad = [y for y in spec if y not in available]
    if bad:
        raise ValueError(f"year {bad[0]} is not simulated; years run {available[0]}-{available[-1]}")
    return list(spec)


def evaluate_chunks(
    X, names, evaluate: Evaluator, chunk_dir: Path | None, resume: bool, chunk_size: int, progress: bool
):
    """Evaluate ``X`` in chunks; with ``chunk_dir``, each finished chunk is saved and, on resume, reused."""
    bounds = [(a, min(a + chunk_size, len(X))) for a in range(0, len(X), chunk_size)]
    parts = []
    reused = 0
    for i, (a, b) in enumerate(tqdm(bounds, desc="evaluating", unit="chunk", disable=not progress)):
        path = chunk_dir / f"chunk_{i:05d}.npz" if chunk_dir else None
        if path is not None and resume and path.exists():
            with np.load(path) as saved:
                parts.append({k: saved[k] for k in saved.files})
            reused += 1
            continue
        result = evaluate(X[a:b], names)
        if path is not None:
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, **result)
            tmp.replace(path)
        parts.append(result)
    outputs = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return outputs, reused


def analyse_outputs(
    method, problem, X, outputs: dict[str, np.ndarray], years_all, years, seed, second_order, progress
) -> xr.Dataset:
    """Indices per output and year as a Dataset over (output, year, parameter)."""
    names = problem["names"]
    index_rows = {}
    tasks = [(o, y) for o in outputs for y in years]
    for output, year in tqdm(tasks, desc="analysing", unit="series", disable=not progress):
        Y = outputs[output][:, list(years_all).index(year)]
        if np.ptp(Y) <= 1e-12 * max(1.0, np.abs(Y).max()):
            continue  # no variance (e.g. before anything happens): no index is defined
        with np.errstate(divide="ignore", invalid="ignore"):
            result = method.analyse(problem, X, Y, seed, second_order)
        for index, (values, conf) in result.items():
            index_rows.setdefault(index, {})[(output, year)] = (np.asarray(values, float), np.asarray(conf, float))
    data = {}
    out_names, years_list = list(outputs), list(years)
    for index, rows in index_rows.items():
        pairwise = np.ndim(next(iter(rows.values()))[0]) == 2  # Sobol S2: (parameter, other) matrices
        dims = ("output", "year", "parameter", "other") if pairwise else ("output", "year", "parameter")
        values = np.full((len(out_names), len(years_list)) + (len(names),) * (2 if pairwise else 1), np.nan)
        confs = np.full_like(values, np.nan)
        for (output, year), (v, c) in rows.items():
            values[out_names.index(output), years_list.index(year)] = v
            confs[out_names.index(output), years_list.index(year)] = c
        data[index] = (dims, values)
        data[f"{index}_conf"] = (dims, confs)
    coords = {"output": out_names, "year": years_list, "parameter": names}
    if any(v[0] == ("output", "year", "parameter", "other") for v in data.values()):
        coords["other"] = names
    return xr.Dataset(data, coords=coords)


def tidy(indices: xr.Dataset, method_name: str) -> pd.DataFrame:
    """Long table: method, output, year, parameter, index, value, conf."""
    frames = []
    for name in indices.data_vars:
        if name.endswith("_conf"):
            continue
        frame = indices[name].to_dataframe(name="value").reset_index()
        frame["conf"] = indices[f"{name}_conf"].values.reshape(-1)
        frame["index"] = name
        if "other" in indices[name].dims:  # pairs as "a:b", upper triangle (SALib leaves the rest NaN)
            frame["parameter"] = frame["parameter"] + ":" + frame["other"]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    table.insert(0, "method", method_name)
    return table[["method", "output", "year", "parameter", "index", "value", "conf"]]


def convergence(indices: xr.Dataset, method, n: int) -> dict:
    """Whether the main index's confidence intervals are narrow enough, and an N that would be."""
    conf = indices.get(f"{method.main_index}_conf")
    if conf is None or bool(np.isnan(conf.values).all()):
        return {"index": method.main_index, "assessed": False, "note": f"{method.name} gives no confidence intervals"}
    widths = 2 * conf.values
    if method.relative_ci:  # as a share of the largest index of the same output and year
        scale = np.nanmax(indices[method.main_index].values, axis=-1, keepdims=True)
        widths = widths / np.where(scale > 0, scale, np.nan)
    widest = np.unravel_index(int(np.nanargmax(widths)), widths.shape)
    where = {dim: str(conf[dim].values[i]) for dim, i in zip(conf.dims, widest, strict=True) if dim in conf.coords}
    width = float(widths[widest])
    ok = width <= CI_WIDTH_TARGET
    wanted = n if ok else math.ceil(n * (width / CI_WIDTH_TARGET) ** 2)
    suggested = min(wanted, n * MAX_N_GROWTH)  # an N one can run: intervals shrink as 1/sqrt(N), so step up
    if method.name == "sobol":
        suggested = 2 ** math.ceil(math.log2(suggested))
    return {
        "index": method.main_index,
        "assessed": True,
        "relative": method.relative_ci,
        "max_ci_width": width,
        "widest": where,
        "target": CI_WIDTH_TARGET,
        "converged": ok,
        "suggested_n": suggested,
        "suggestion_capped": wanted > n * MAX_N_GROWTH,
    }


def manifest_for(
    method, n, seed, params, outputs, years, second_order, problem_hash, model_digest, sample="design"
) -> dict:
    """What identifies a run: a resumed run must match it."""
    return {
        "method": method.name,
        "n": n,
        "seed": seed,
        "parameters": params,
        "outputs": list(outputs),
        "years": list(years),
        "second_order": second_order,
        "parameter_table_sha256": problem_hash,
        "model_sha256": model_digest,
        "sample": sample,
    }


def posterior_parameters(method, params, model) -> list:
    """The parameters of an analysis on the posterior: only a given-data method, only calibrated
    parameters (``"all"``: every uncertainty and historical setting).

    Raises
    ------
    ValueError
        For a method that needs its own sampling design, or a lever among the parameters.
    """
    from calibration.posterior import CALIBRATED_KINDS

    if not method.given_data:
        given = ", ".join(m.name for m in METHODS.values() if m.given_data)
        raise ValueError(
            f"{method.name} needs its own sampling design over independent inputs; posterior draws are "
            f"dependent: use {given} with --posterior"
        )
    if params == "all":
        return [p for p in model.parameters if p.kind in CALIBRATED_KINDS]
    chosen = select_parameters(params, model)
    levers = [p.name for p in chosen if p.kind not in CALIBRATED_KINDS]
    if levers:
        raise ValueError(f"the posterior varies uncertainties and historical settings only; not {', '.join(levers)}")
    return chosen


def run_analysis(
    method_name: str,
    *,
    params="all",
    outputs=None,
    years=None,
    n: int | None = None,
    seed: int = 20161231,
    second_order: bool = False,
    client=None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool = True,
    problem: dict | None = None,
    evaluate: Evaluator | None = None,
    years_all: Sequence[int] | None = None,
    chunk_size: int | None = None,
    posterior: bool = False,
    model: sd_model.Model | None = None,
) -> xr.Dataset:
    """Run one sensitivity method end to end; see :func:`sensitivity.sobol` and friends.

    ``model`` is the project's model by default; any :class:`sd_model.Model` works (outputs default to
    its KPIs, or to every output of a model without metadata).

    ``posterior=True`` samples the bundled posterior (:func:`calibration.posterior_draws`) instead of
    the parameters' full ranges: what still matters given the data. Only given-data methods (PAWN)
    read such a sample; with ``params="all"`` it varies every uncertainty and
    historical setting, the levers staying at their defaults; levers cannot be chosen.

    ``problem``, ``evaluate`` and ``years_all`` replace the model (used to validate the pipeline on
    the Ishigami function).
    """
    started = time.perf_counter()
    method = get_method(method_name)
    n = method.check_n(method.default_n if n is None else int(n))
    if posterior and problem is not None:
        raise ValueError("posterior=True samples the model's posterior; it does not go with a custom problem")
    if problem is None:
        model = model or sd_model.default_model()
        chosen = posterior_parameters(method, params, model) if posterior else select_parameters(params, model)
        problem = salib_problem(chosen)
        outputs = model.check_outputs(model.default_outputs if outputs is None else outputs)
        years_all = [_plain(t) for t in model.times()]
        evaluate = evaluate or model_evaluator(outputs, client, model)
        identity = (table_hash(model), model.digest)
    else:
        outputs = list(outputs or ["y"])
        identity = ("custom", "custom")
    years = parse_years(years, years_all)
    manifest = manifest_for(
        method,
        n,
        seed,
        problem["names"],
        outputs,
        years,
        second_order,
        *identity,
        sample="posterior" if posterior else "design",
    )
    out = Path(out) if out is not None else None
    chunk_dir = None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        chunk_dir = out / "chunks"
        chunk_dir.mkdir(exist_ok=True)
        previous = out / "run.json"
        if resume and previous.exists() and json.loads(previous.read_text()) != manifest:
            raise ValueError(
                f"{out}: cannot resume: the method, N, seed, parameters, outputs, years or model "
                "differ from the interrupted run"
            )
        if not resume:
            for stale in chunk_dir.glob("chunk_*.npz"):
                stale.unlink()
        previous.write_text(json.dumps(manifest, indent=2))
    if posterior:
        from calibration.posterior import posterior_draws

        X = posterior_draws(n, seed, model=model)[problem["names"]].to_numpy()
    else:
        # SALib scales unit samples as low + u * (high - low), which can land one rounding error past a
        # bound (0.3 + 1.0 * 0.6 = 0.9000000000000001); its points are meant to lie on the bounds.
        bounds = np.asarray(problem["bounds"], dtype=float)
        X = np.clip(method.sample(problem, n, seed, second_order), bounds[:, 0], bounds[:, 1])
    chunk_size = piece_size_for(client) if chunk_size is None else chunk_size
    results, reused = evaluate_chunks(X, problem["names"], evaluate, chunk_dir, resume, chunk_size, progress)
    evaluated = time.perf_counter()
    indices = analyse_outputs(method, problem, X, results, years_all, years, seed, second_order, progress)
    info = manifest | {
        "runs": len(X),
        "chunks_reused": reused,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds_evaluating": round(evaluated - started, 3),
        "seconds_total": round(time.perf_counter() - started, 3),
        "convergence": convergence(indices, method, n),
        "versions": {pkg: version(pkg) for pkg in ("SALib", "pysd", "numpy", "xarray", "pandas")},
    }
    indices.attrs = {"manifest": json.dumps(info)}
    if out is not None:
        from .report import write_outputs

        write_outputs(out, indices, tidy(indices, method.name), X, problem["names"], results, years_all, info, method)
    return indices
