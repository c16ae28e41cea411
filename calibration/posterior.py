"""Bayesian calibration: the posterior of the uncertainties and the historical settings given the data.

Likelihood: the targets of ``models/calibration.toml``, each a normal observation error around the
model's quantity (the file says why each width). Priors: uniform over each parameter's bounds in the
parameter table. The sampler is ``emcee``'s ensemble sampler with ``vectorize=True``: every step
evaluates half the walkers in one :func:`sd_model.run_batch` call, run to the last observed year only.

Parameters that move no target (bit for bit, in a screening batch) are not sampled: the likelihood
does not depend on them, so their posterior is exactly their prior, and :func:`posterior_draws` draws
them from it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import expit, logit
from scipy.stats import qmc

from sd_model.model import Model, load_model
from sd_model.parameters import Parameter
from sd_model.paths import MODEL_FILE, ROOT, beside

from .observations import calibration_file, model_values, needed_outputs, read_observations

#: Parameter kinds the posterior calibrates: what policy does not control, and what was done.
CALIBRATED_KINDS = ("uncertainty", "history")
#: The bundled posterior of the project's model (``python -m calibration --posterior --bundle``).
BUNDLED_DIR = ROOT / "data" / "posterior"
DRAWS_FILE = "posterior.nc"
#: Particles per SMC run, and independent runs (the chains of the diagnostics).
DEFAULT_PARTICLES = 2000
DEFAULT_RUNS = 2
#: emcee steps at temperature 1 after the last reweighting, and at most per temperature.
FINAL_STEPS = 110
MAX_MUTATION_STEPS = 25
#: Convergence: every calibrated parameter's rank-normalised split R-hat at most this...
RHAT_MAX = 1.05
#: ...and its bulk effective sample size at least this (Vehtari et al. 2021).
ESS_MIN = 400


@dataclass
class Posterior:
    """The result of :func:`calibrate_posterior`.

    Attributes
    ----------
    idata : arviz.InferenceData
        ``posterior`` (one variable per sampled parameter, chain = walker, in the parameter's units),
        ``sample_stats`` (``lp``: log posterior), ``observed_data`` and ``constant_data`` (the
        observation errors), and attributes naming the model digest and the settings.
    prior_only : list of Parameter
        Calibrated-kind parameters that move no target: their posterior is their prior.
    diagnostics : pandas.DataFrame
        Per sampled parameter: ``r_hat``, ``ess_bulk``, ``ess_tail``, ``tau`` (emcee's integrated
        autocorrelation time, in steps).
    converged : bool
        Every ``r_hat`` ≤ :data:`RHAT_MAX` and every ``ess_bulk`` ≥ :data:`ESS_MIN`.
    seconds : float
        Wall time of the sampling.
    """

    idata: object
    prior_only: list[Parameter]
    diagnostics: pd.DataFrame
    converged: bool
    seconds: float
    settings: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The sampled parameters."""
        return list(self.idata.posterior.data_vars)

    def draws(self) -> pd.DataFrame:
        """Every kept draw of the sampled parameters, one row per (walker, step)."""
        return self.idata.posterior.to_dataframe().reset_index(drop=True)[self.names]

    def convergence_message(self) -> str:
        """One line: converged, or which parameters are not and by how much."""
        d = self.diagnostics
        bad = d[(d["r_hat"] > RHAT_MAX) | (d["ess_bulk"] < ESS_MIN)]
        if bad.empty:
            return (
                f"converged: R-hat ≤ {d['r_hat'].max():.3f} (limit {RHAT_MAX}), bulk ESS ≥ {d['ess_bulk'].min():.0f} "
                f"(limit {ESS_MIN}) on all {len(d)} sampled parameters"
            )
        worst = ", ".join(f"{n} (R-hat {r.r_hat:.3f}, ESS {r.ess_bulk:.0f})" for n, r in bad.head(5).iterrows())
        return (
            f"NOT CONVERGED: {len(bad)} of {len(d)} parameters exceed R-hat {RHAT_MAX} or fall below ESS {ESS_MIN}: "
            f"{worst}. Run more particles (--particles) or more runs (--runs)."
        )


def calibrated_parameters(model: Model) -> list[Parameter]:
    """The parameters a posterior calibrates: every uncertainty and every historical setting."""
    return [p for p in model.parameters if p.kind in CALIBRATED_KINDS]


def screen(model: Model, observations, *, n: int = 16, seed: int = 0) -> tuple[list[Parameter], list[Parameter]]:
    """Split the calibrated parameters into those that move a target and those that move none.

    Each parameter is set to its low and its high bound at ``n`` points drawn over all of them; a
    parameter moves no target when every target's model value is bit-for-bit the same.

    Returns
    -------
    informed, prior_only : list of Parameter
    """
    params = calibrated_parameters(model)
    targets = [o for o in observations if o.role == "target"]
    base = _scale(qmc.LatinHypercube(d=len(params), seed=seed).random(n), params)
    blocks = [base]
    for j, p in enumerate(params):
        for bound in (p.low, p.high):
            block = base.copy()
            block[:, j] = bound
            blocks.append(block)
    values = _target_values(model, np.vstack(blocks), params, targets)
    informed, prior_only = [], []
    for j, p in enumerate(params):
        low, high = values[(2 * j + 1) * n : (2 * j + 2) * n], values[(2 * j + 2) * n : (2 * j + 3) * n]
        (informed if not np.array_equal(low, high) else prior_only).append(p)
    return informed, prior_only


def _scale(unit: np.ndarray, params) -> np.ndarray:
    low = np.array([p.low for p in params])
    high = np.array([p.high for p in params])
    return low + unit * (high - low)


def _target_values(model: Model, samples: np.ndarray, params, targets) -> np.ndarray:
    """The targets' model values for ``samples`` (within bounds), run to the last observed year.

    Calls the engine of :func:`sd_model.run_batch` (:meth:`Model.evaluate`) directly: the samples are
    inside the bounds by construction, and skipping run_batch's checks and packaging saves a fifth of
    the time of a sampler step.
    """
    final_time, time_step = model.check_controls(max(o.year for o in targets), None)
    columns = {p.name: samples[:, j] for j, p in enumerate(params)}
    results = model.evaluate(len(samples), columns, needed_outputs(targets), final_time, time_step)
    return model_values(results, targets, model.times(final_time, time_step))


class Likelihood:
    """Log prior and log likelihood of the targets in logit coordinates of the sampled parameters.

    A point ``z`` (``d`` sampled parameters) maps to ``u = 1 / (1 + e^-z)`` in ``(0, 1)``, scaled to
    each parameter's bounds: every point is inside the bounds, so no proposal is wasted on a wall.
    The uniform prior on ``u`` is, in ``z``, the density ``u (1 - u)`` (the Jacobian). The log
    likelihood is minus half the sum of squared standardised errors of the targets (normal errors;
    the constant is dropped); ``-inf`` where the model gives no finite value.
    """

    def __init__(self, model: Model, observations, params, values=None):
        self.model = model
        self.params = list(params)
        self.targets = [o for o in observations if o.role == "target"]
        self.observed = np.array([o.value for o in self.targets]) if values is None else np.asarray(values, dtype=float)
        if self.observed.shape != (len(self.targets),):
            raise ValueError(
                f"values must give one figure per target ({len(self.targets)}), got shape {self.observed.shape}"
            )
        self.sd = np.array([o.sd for o in self.targets])
        self.runs = 0

    def log_prior(self, z: np.ndarray) -> np.ndarray:
        """``sum(log u + log(1 - u))`` over the parameters, computed stably."""
        return np.sum(-np.logaddexp(0, -z) - np.logaddexp(0, z), axis=-1)

    def log_likelihood(self, z: np.ndarray) -> np.ndarray:
        """Log likelihood of the targets at each row of ``z``, one vectorised model run per row."""
        z = np.atleast_2d(z)
        values = _target_values(self.model, _scale(expit(z), self.params), self.params, self.targets)
        self.runs += len(z)
        ll = -0.5 * np.sum(np.square((values - self.observed) / self.sd), axis=1)
        return np.where(np.isfinite(ll), ll, -np.inf)

    def tempered(self, beta: float):
        """emcee's vectorised log probability at temperature ``beta``: ``log prior + beta * log likelihood``,
        with the log likelihood as a blob."""

        def log_prob(z):
            ll = self.log_likelihood(z)
            return np.column_stack([self.log_prior(z) + beta * ll, ll])

        return log_prob


def _next_beta(ll: np.ndarray, beta: float, target_ess: float) -> float:
    """The next temperature: the largest step whose importance weights keep ``target_ess`` particles."""

    def ess(new_beta):
        w = np.exp((new_beta - beta) * (ll - ll.max()))
        return w.sum() ** 2 / np.square(w).sum()

    if ess(1.0) >= target_ess:
        return 1.0
    low, high = beta, 1.0
    for _ in range(60):
        mid = (low + high) / 2
        low, high = (mid, high) if ess(mid) >= target_ess else (low, mid)
    return low if low > beta else high


def _mutate(like: Likelihood, z, ll, beta, rng, steps: int | None, moves):
    """MCMC moves at temperature ``beta`` with emcee (every particle a walker): ``steps`` steps, or
    by default enough that a particle is moved at least once with probability 0.99 at the acceptance
    of a first batch of five steps (PyMC's rule for SMC), at most :data:`MAX_MUTATION_STEPS`."""
    import emcee

    sampler = emcee.EnsembleSampler(len(z), z.shape[1], like.tempered(beta), moves=moves(), vectorize=True)
    seeded = np.random.RandomState(int(rng.integers(2**31))).get_state()  # emcee draws from a legacy RandomState
    state = emcee.State(z, log_prob=like.log_prior(z) + beta * ll, blobs=ll.copy(), random_state=seeded)
    first = steps or 5
    state = sampler.run_mcmc(state, first, skip_initial_state_check=True)  # resampled particles repeat
    done = first
    if steps is None:
        accepted = max(float(np.mean(sampler.acceptance_fraction)), 1e-3)
        wanted = math.ceil(math.log(0.01) / math.log(1 - accepted))
        more = min(MAX_MUTATION_STEPS, wanted) - first
        if more > 0:
            state = sampler.run_mcmc(state, more, skip_initial_state_check=True)
            done += more
    return (
        state.coords,
        np.asarray(state.blobs, dtype=float).reshape(len(z)),
        done,
        float(np.mean(sampler.acceptance_fraction)),
    )


def _de_moves():
    """Differential evolution (ter Braak 2006): the usual step 2.38 / sqrt(2 d) nine times in ten,
    a full step (gamma = 1) otherwise, to jump between modes. (The snooker move divides by the
    distance between two walkers, which is 0 between resampled copies.)"""
    import emcee

    return [(emcee.moves.DEMove(), 0.9), (emcee.moves.DEMove(gamma0=1.0), 0.1)]


def smc_run(
    like: Likelihood, particles: int, seed: int, *, final_steps: int = FINAL_STEPS, mutation_steps: int | None = None
) -> dict:
    """One run of sequential Monte Carlo with adaptive likelihood tempering (Ching and Chen 2007; as PyMC's SMC).

    From ``particles`` Latin-hypercube draws of the prior, the temperature ``beta`` rises from 0 to 1
    in steps that keep half the particles' effective sample size; at each step the particles are
    reweighted, resampled (systematic) and moved by emcee's differential-evolution ensemble sampler
    at that temperature. At ``beta = 1`` they are moved ``final_steps`` more times.

    Returns
    -------
    dict
        ``z`` (particles × parameters, logit coordinates), ``ll``, ``betas``, ``steps`` per stage,
        ``acceptance`` per stage, ``runs`` (model runs).
    """
    rng = np.random.default_rng(seed)
    d = len(like.params)
    z = logit(qmc.LatinHypercube(d=d, seed=rng).random(particles))
    ll = like.log_likelihood(z)
    beta, betas, steps, acceptance = 0.0, [0.0], [], []
    while beta < 1:
        new_beta = _next_beta(ll, beta, particles / 2)
        w = np.exp((new_beta - beta) * (ll - ll.max()))
        positions = (rng.random() + np.arange(particles)) / particles
        index = np.minimum(np.searchsorted(np.cumsum(w / w.sum()), positions), particles - 1)
        beta = new_beta
        z, ll, done, accepted = _mutate(like, z[index], ll[index], beta, rng, mutation_steps, _de_moves)
        betas.append(beta)
        steps.append(done)
        acceptance.append(accepted)
    if final_steps:
        z, ll, done, accepted = _mutate(like, z, ll, 1.0, rng, final_steps, _de_moves)
        steps.append(done)
        acceptance.append(accepted)
    return {"z": z, "ll": ll, "betas": betas, "steps": steps, "acceptance": acceptance, "runs": like.runs}


def _smc_task(
    mdl_file: str, metadata_file: str, observations, names, values, particles, seed, final_steps, mutation_steps
):
    """One SMC run in a worker process (or in this one)."""
    model = load_model(mdl_file, metadata_file)
    params = [model.parameter_table[name] for name in names]
    like = Likelihood(model, observations, params, values)
    started = time.perf_counter()
    result = smc_run(like, particles, seed, final_steps=final_steps, mutation_steps=mutation_steps)
    return result | {"seconds": time.perf_counter() - started}


def calibrate_posterior(
    *,
    particles: int = DEFAULT_PARTICLES,
    runs: int = DEFAULT_RUNS,
    seed: int = 2016,
    final_steps: int = FINAL_STEPS,
    mutation_steps: int | None = None,
    workers: int | None = None,
    observations=None,
    values=None,
    model: Model | None = None,
) -> Posterior:
    """Sample the posterior of the uncertainties and historical settings given the targets.

    ``runs`` independent sequential-Monte-Carlo runs (:func:`smc_run`) of ``particles`` particles
    each; every likelihood evaluation runs all the particles being moved at once. The runs are the
    chains of the diagnostics: R-hat compares them, so a posterior that one run found and another
    did not shows up as R-hat above :data:`RHAT_MAX`.

    Parameters
    ----------
    particles : int
        Particles per run (at least twice the sampled parameters).
    runs : int
        Independent runs (at least 2, for R-hat).
    seed : int
    final_steps : int
        emcee steps at temperature 1 after the last reweighting.
    mutation_steps : int, optional
        emcee steps per temperature (default: adaptive, see :func:`_mutate`).
    workers : int, optional
        Processes that run the runs side by side (default: as many as runs and cores allow; 1 runs
        them here, one after another).
    observations : list of Observation, optional
        Default: ``models/calibration.toml``.
    values : array_like, optional
        Observed values of the targets in file order, in place of the published ones (synthetic data
        for a simulation-based check).
    model : Model, optional

    Returns
    -------
    Posterior
    """
    az = arviz()
    model = model or load_model()
    observations = observations or read_observations(calibration_file(model), model.output_names)
    informed, prior_only = screen(model, observations, seed=seed)
    d = len(informed)
    if isinstance(particles, bool) or int(particles) != particles or particles < 2 * d:
        raise ValueError(
            f"particles must be a whole number of at least twice the {d} sampled parameters, got {particles!r}"
        )
    if isinstance(runs, bool) or int(runs) != runs or runs < 2:
        raise ValueError(f"runs must be a whole number of at least 2 (R-hat compares runs), got {runs!r}")
    Likelihood(model, observations, informed, values)  # checks values before any work
    names = [p.name for p in informed]
    seeds = np.random.SeedSequence(seed).generate_state(runs)
    args = [
        (*model.files, observations, names, values, int(particles), int(s), final_steps, mutation_steps) for s in seeds
    ]
    workers = min(runs, os.cpu_count() or 1) if workers is None else workers
    started = time.perf_counter()
    if workers <= 1:
        results = [_smc_task(*a) for a in args]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_smc_task, *zip(*args, strict=True)))
    seconds = time.perf_counter() - started
    z = np.stack([r["z"] for r in results])  # (runs, particles, d)
    physical = _scale(expit(z), informed)
    targets = [o for o in observations if o.role == "target"]
    observed = np.array([o.value for o in targets]) if values is None else np.asarray(values, dtype=float)
    idata = az.from_dict(
        posterior={name: physical[:, :, j] for j, name in enumerate(names)},
        sample_stats={"log_likelihood_targets": np.stack([r["ll"] for r in results])},
        observed_data={"value": observed},
        constant_data={"sd": np.array([o.sd for o in targets])},
        coords={"observation": [o.name for o in targets]},
        dims={"value": ["observation"], "sd": ["observation"]},
        attrs={
            "model_digest": model.digest,
            "calibration_file_sha256": _sha256(calibration_file(model)),
            "particles": int(particles),
            "runs": int(runs),
            "seed": int(seed),
            "sampler": f"sequential Monte Carlo with adaptive tempering; moves: emcee {_emcee_version()} "
            "EnsembleSampler (DEMove 0.9, DEMove gamma 1 0.1)",
            "seconds": round(seconds, 2),
            "prior_only": json.dumps([p.name for p in prior_only]),
        },
    )
    summary = az.summary(idata, kind="diagnostics")
    diagnostics = summary[["r_hat", "ess_bulk", "ess_tail"]].rename_axis("parameter")
    converged = bool((diagnostics["r_hat"] <= RHAT_MAX).all() and (diagnostics["ess_bulk"] >= ESS_MIN).all())
    settings = {
        "particles": int(particles),
        "runs": int(runs),
        "seed": int(seed),
        "final_steps": final_steps,
        "stages": [len(r["betas"]) - 1 for r in results],
        "steps": [sum(r["steps"]) for r in results],
        "acceptance": [round(float(np.mean(r["acceptance"])), 3) for r in results],
        "model_runs": int(sum(r["runs"] for r in results)),
        "run_seconds": [round(r["seconds"], 1) for r in results],
        "workers": workers,
    }
    return Posterior(idata, prior_only, diagnostics, converged, seconds, settings)


def _emcee_version() -> str:
    import emcee

    return emcee.__version__


def arviz():
    """``arviz``, imported without its notice of a coming refactor (a FutureWarning about arviz, not
    about this code; arviz 1.x needs Python 3.12)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"\s*ArviZ is undergoing a major refactor", category=FutureWarning)
        import arviz as az
    return az


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class StalePosteriorError(ValueError):
    """The bundled posterior was sampled for another model or other observations."""


def posterior_dir(model: Model | None = None) -> Path:
    """Where a model's bundled posterior lives: ``data/posterior/`` for the project's model, else
    ``posterior/`` beside its ``.mdl``."""
    if model is None or model.mdl_file == MODEL_FILE.resolve():
        return BUNDLED_DIR
    return beside(model.mdl_file, "posterior")


def read_posterior(folder: str | Path | None = None, model: Model | None = None):
    """The draws of a posterior folder (default: the model's bundled one) as ``arviz.InferenceData``,
    checked against the model.

    Raises
    ------
    StalePosteriorError
        When the folder has no draws, or they were made for another model digest or calibration file;
        the message gives the command that makes them again.
    """
    az = arviz()
    model = model or load_model()
    path = Path(folder or posterior_dir(model)) / DRAWS_FILE
    mdl = "" if posterior_dir(model) == BUNDLED_DIR else f" --mdl {model.mdl_file}"
    again = f"run `python -m calibration{mdl} --posterior --bundle` to sample it again"
    if not path.is_file():
        raise StalePosteriorError(
            f"{path}: no posterior draws; {again} (or draw futures over the full ranges: --prior)"
        )
    idata = az.from_netcdf(str(path))
    attrs = idata.attrs
    if attrs.get("model_digest") != model.digest:
        raise StalePosteriorError(
            f"{path}: sampled for another version of the model (digest {attrs.get('model_digest')!s:.12}, "
            f"now {model.digest:.12}); {again}"
        )
    if attrs.get("calibration_file_sha256") != _sha256(calibration_file(model)):
        raise StalePosteriorError(
            f"{path}: sampled for other observations than {calibration_file(model).name}; {again}"
        )
    known = {p.name for p in calibrated_parameters(model)}
    unknown = sorted(set(idata.posterior.data_vars) - known)
    if unknown:
        raise StalePosteriorError(f"{path}: draws of parameters the model no longer calibrates: {unknown}; {again}")
    return idata


def _check_count(n) -> None:
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"n must be a positive whole number, got {n!r}")


@functools.lru_cache(maxsize=4)
def _stored_draws(path: str, stamp, mdl_file: str, metadata_file: str, digest: str) -> pd.DataFrame:
    """The checked draws of a posterior file as a frame, read once per file version and model."""
    idata = read_posterior(Path(path).parent, load_model(mdl_file, metadata_file))
    return idata.posterior.to_dataframe().reset_index(drop=True)


def posterior_draws(
    n: int, seed: int = 0, *, folder: str | Path | None = None, model: Model | None = None
) -> pd.DataFrame:
    """``n`` joint draws of every uncertainty and historical setting from the bundled posterior.

    Sampled parameters are drawn jointly (rows of the stored draws, at random with replacement);
    those that move no target are drawn from their uniform prior, which is their posterior.

    Parameters
    ----------
    n : int
        Number of draws.
    seed : int
    folder : path, optional
        A folder written by ``python -m calibration --posterior`` (default: the model's bundled one).
    model : Model, optional
        Default: the project's model.

    Returns
    -------
    pandas.DataFrame
        ``n`` rows, one column per calibrated parameter (parameter-table names and order), ready for
        :func:`sd_model.run_batch`.
    """
    _check_count(n)
    model = model or load_model()
    path = Path(folder or posterior_dir(model)) / DRAWS_FILE
    stat = path.stat() if path.is_file() else None
    stamp = (stat.st_mtime_ns, stat.st_size) if stat else None
    stored = _stored_draws(str(path), stamp, *model.files, model.digest)
    rng = np.random.default_rng(seed)
    rows = stored.iloc[rng.integers(len(stored), size=int(n))].reset_index(drop=True)
    columns = {}
    for p in calibrated_parameters(model):
        columns[p.name] = rows[p.name].to_numpy() if p.name in rows else rng.uniform(p.low, p.high, int(n))
    return pd.DataFrame(columns)


def prior_draws(n: int, seed: int = 0, *, model: Model | None = None) -> pd.DataFrame:
    """``n`` Latin-hypercube draws of every uncertainty and historical setting, uniform over its full
    range: the futures of a stress test, as wide as our guesses rather than the data."""
    _check_count(n)
    table = calibrated_parameters(model or load_model())
    return pd.DataFrame(
        _scale(qmc.LatinHypercube(d=len(table), seed=seed).random(int(n)), table), columns=[p.name for p in table]
    )
