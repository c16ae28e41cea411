"""The SALib methods: how each samples, how many runs it needs, and how it analyses one output series.

Each method reads the same SALib problem dict. ``analyse`` returns ``{index: (values, conf)}`` with
arrays over the problem's parameters; ``conf`` is the half-width of the 95 % confidence interval, or
NaN where the method has none (PAWN).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np
from SALib.analyze import fast as fast_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import fast_sampler, latin
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

RESAMPLES = 100
MORRIS_LEVELS = 4
FAST_M = 4


@dataclass(frozen=True)
class Method:
    """A sensitivity method as the pipeline uses it."""

    name: str
    default_n: int
    main_index: str
    check_n: Callable[[int], int]
    sample: Callable[[dict, int, int, bool], np.ndarray]
    analyse: Callable[[dict, np.ndarray, np.ndarray, int, bool], dict]
    #: judge CI widths relative to the largest index of each output and year (indices in output units)
    relative_ci: bool = False
    #: caveat printed in the report
    note: str = ""
    #: reads any sample (a "given-data" method), so it can run on posterior draws, which are dependent
    given_data: bool = False


def _any_n(n: int) -> int:
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    return n


def _sobol_n(n: int) -> int:
    if n < 2 or n & (n - 1):
        raise ValueError(
            "Sobol' sampling needs N to be a power of two "
            f"(e.g. {2 ** max(1, math.ceil(math.log2(max(n, 2))))}), got {n}"
        )
    return n


def _fast_n(n: int) -> int:
    if n <= 4 * FAST_M**2:
        raise ValueError(f"eFAST needs N > 4 M^2 = {4 * FAST_M**2} runs per parameter, got {n}")
    return n


def _sobol_analyse(problem, X, Y, seed, second_order):
    if second_order or problem.get("groups"):
        result = sobol_analyze.analyze(problem, Y, calc_second_order=second_order, num_resamples=RESAMPLES, seed=seed)
        out = {"S1": (result["S1"], result["S1_conf"]), "ST": (result["ST"], result["ST_conf"])}
        if second_order:
            out["S2"] = (result["S2"], result["S2_conf"])  # (k, k) matrices
        return out
    return sobol_first_and_total(problem["num_vars"], Y, seed)


def sobol_first_and_total(k: int, Y: np.ndarray, seed, num_resamples: int = RESAMPLES, conf_level: float = 0.95):
    """SALib's ``sobol.analyze`` without second order: first- and total-order indices and the half-widths
    of their bootstrap intervals, the bootstrap of every parameter at once.

    The point estimates are SALib's own functions (``first_order``, ``total_order``) on each parameter;
    the bootstrap draws the same resamples from the same seed as ``analyze`` and applies the same
    estimators (Saltelli et al. 2010, normalised by the sample variance) to all parameters in one array
    operation instead of one parameter at a time, which took 0.34 s of each output-year's 0.35 s
    (87 parameters, N = 1,024). The tests hold the result to ``analyze``'s.

    Parameters
    ----------
    k : int
        Number of parameters.
    Y : numpy.ndarray
        Outputs of a Saltelli sample without second order, ``N (k + 2)`` values.
    seed : int or None
        As ``analyze``'s ``seed``.

    Returns
    -------
    dict
        ``{"S1": (values, conf), "ST": (values, conf)}``, arrays over the ``k`` parameters.
    """
    if Y.size % (k + 2):
        raise ValueError(f"a Sobol' sample without second order has N (k + 2) outputs; got {Y.size} for k = {k}")
    n = Y.size // (k + 2)
    draw = np.random.default_rng(seed).integers if seed else np.random.randint  # as analyze draws
    Y = (Y - Y.mean()) / Y.std()
    A, B, AB, _ = sobol_analyze.separate_output_values(Y, k, n, False)
    r = draw(n, size=(n, num_resamples))
    z = sobol_analyze.norm.ppf(0.5 + conf_level / 2)
    first = np.array([sobol_analyze.first_order(A, AB[:, j], B) for j in range(k)])
    total = np.array([sobol_analyze.total_order(A, AB[:, j], B) for j in range(k)])
    y = np.r_[A[r], B[r]]
    if np.ptp(y) == 0.0:  # a constant output: analyze's intervals are 0 (and its indices 0, with a warning)
        return {"S1": (first, np.zeros(k)), "ST": (total, np.zeros(k))}
    variance = np.var(y, axis=0)  # (resamples,)
    s1, st = _bootstrap_sums(A, B, np.ascontiguousarray(AB), np.ascontiguousarray(r))
    s1, st = (np.where(variance[:, None] > np.finfo(float).eps, s / n / variance[:, None], 0.0) for s in (s1, st / 2))
    first_conf = np.array([z * s1[:, j].std(ddof=1) for j in range(k)])  # one parameter at a time, as analyze
    total_conf = np.array([z * st[:, j].std(ddof=1) for j in range(k)])
    return {"S1": (first, first_conf), "ST": (total, total_conf)}


@numba.njit(cache=True)
def _bootstrap_sums(A, B, AB, r):
    """For each resample (a column of ``r``) and parameter: the sums over the resampled rows of
    ``B (AB - A)`` and ``(A - AB)^2``, added in the rows' order as NumPy adds them (the numerators of
    SALib's first- and total-order estimators, before the mean's division)."""
    n, resamples = r.shape
    k = AB.shape[1]
    first = np.zeros((resamples, k))
    total = np.zeros((resamples, k))
    for b in range(resamples):
        for i in range(n):
            row = r[i, b]
            a, bb = A[row], B[row]
            for j in range(k):
                first[b, j] += bb * (AB[row, j] - a)
                total[b, j] += (a - AB[row, j]) ** 2
    return first, total


def elementary_effects(X: np.ndarray, Y: np.ndarray, num_levels: int) -> np.ndarray:
    """Morris elementary effects, shape ``(trajectories, parameters)``, from a Morris sample and its outputs.

    Each trajectory is ``k + 1`` consecutive rows of ``X`` that change one parameter at a time by
    the grid step; the effect of that parameter is the change of ``Y`` over the step, with the sign of
    the parameter's move, divided by the step ``num_levels / (2 (num_levels - 1))`` in the unit
    cube, as SALib defines it (``SALib.analyze.morris``, no scaling). The tests check that their mean,
    mean absolute value and standard deviation are SALib's mu, mu* and sigma.
    """
    k = X.shape[1]
    if len(X) % (k + 1) or len(Y) != len(X):
        raise ValueError(f"a Morris sample has trajectories of {k + 1} rows; got {len(X)} rows and {len(Y)} outputs")
    steps = np.diff(X.reshape(-1, k + 1, k), axis=1)  # (trajectories, k steps, k parameters)
    changes = np.diff(Y.reshape(-1, k + 1), axis=1)  # (trajectories, k steps)
    moved = np.argmax(steps != 0, axis=2)  # the parameter each step moves
    trajectories = np.arange(steps.shape[0])[:, None]
    direction = np.sign(np.take_along_axis(steps, moved[..., None], axis=2)[..., 0])
    effects = np.empty_like(changes)
    effects[trajectories, moved] = direction * changes / (num_levels / (2 * (num_levels - 1)))
    return effects


def _morris_analyse(problem, X, Y, seed, second_order):
    result = morris_analyze.analyze(problem, X, Y, num_resamples=RESAMPLES, num_levels=MORRIS_LEVELS, seed=seed)
    # SALib bootstraps mu* only; bootstrap sigma the same way, resampling trajectories.
    k = problem["num_vars"]
    effects = elementary_effects(X, Y, MORRIS_LEVELS)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, effects.shape[0], size=(RESAMPLES, effects.shape[0]))
    sigmas = effects[draws].std(axis=1, ddof=1)
    low, high = np.percentile(sigmas, [2.5, 97.5], axis=0)
    return {
        "mu_star": (np.asarray(result["mu_star"]), np.asarray(result["mu_star_conf"])),
        "sigma": (np.asarray(result["sigma"]), (high - low) / 2),
        "mu": (np.asarray(result["mu"]), np.full(k, np.nan)),
    }


def _fast_analyse(problem, X, Y, seed, second_order):
    # SALib warns that eFAST bootstrap CIs are indicative only (SALib issue 649); the report says so.
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="FAST confidence intervals are estimated via bootstrap", category=UserWarning
        )
        result = fast_analyze.analyze(problem, Y, M=FAST_M, num_resamples=RESAMPLES, seed=seed)
    return {"S1": (result["S1"], result["S1_conf"]), "ST": (result["ST"], result["ST_conf"])}


def _pawn_analyse(problem, X, Y, seed, second_order):
    result = pawn_analyze.analyze(problem, X, Y, S=10, seed=seed)
    k = problem["num_vars"]
    return {
        "median": (np.asarray(result["median"]), np.full(k, np.nan)),
        "maximum": (np.asarray(result["maximum"]), np.full(k, np.nan)),
    }


METHODS = {
    "morris": Method(
        "morris", 64, "mu_star", _any_n,
        lambda p, n, seed, so: morris_sample.sample(p, n, num_levels=MORRIS_LEVELS, seed=seed),
        _morris_analyse, relative_ci=True,
    ),
    "sobol": Method(
        "sobol", 1024, "ST", _sobol_n,
        lambda p, n, seed, so: sobol_sample.sample(p, n, calc_second_order=so, seed=seed),
        _sobol_analyse,
    ),
    "fast": Method(
        "fast", 512, "ST", _fast_n,
        lambda p, n, seed, so: fast_sampler.sample(p, n, M=FAST_M, seed=seed),
        _fast_analyse,
        note="SALib estimates eFAST confidence intervals by bootstrap and marks them as indicative only "
        "(SALib issue 649).",
    ),
    "pawn": Method(
        "pawn", 4096, "median", _any_n,
        lambda p, n, seed, so: latin.sample(p, n, seed=seed),
        _pawn_analyse, given_data=True,
    ),
}  # fmt: skip


def get_method(name: str) -> Method:
    """The method called ``name``; ``ValueError`` listing the methods otherwise."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; methods: {', '.join(METHODS)}")
    return METHODS[name]
