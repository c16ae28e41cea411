"""Calibration targets from the public figures in ``data/reference/`` and the model's fit to them.

The 2020 census re-based Guangxi's urbanization series (51.00 % in 2019, 54.20 % in 2020). The model
runs on the census basis: the published 2015-2019 figures are shifted up by the census gap, the
difference between the census figure for 2020 and the published 2015-2019 trend extrapolated to
2020. :func:`urbanization_fit` reports the fit to both the re-based and the published series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sd_model.paths import REFERENCE_DIR

CENSUS_YEAR = 2020
#: an observation is met when the model lies within this many observation errors (sd) of it
WITHIN_SD = 2.0


def urbanization_reference() -> pd.DataFrame:
    """Guangxi's published urbanization rate (fraction) by year, 2015 onward, with the re-based series.

    Returns
    -------
    pandas.DataFrame
        Index ``year``; columns ``published`` and ``census_basis``.
    """
    data = pd.read_csv(REFERENCE_DIR / "guangxi_urbanization.csv", index_col="year")
    published = (data["guangxi_urbanization_pct"].dropna() / 100).loc[2015:]
    offset = census_rebasing_offset(published)
    census = published.where(published.index >= CENSUS_YEAR, published + offset)
    return pd.DataFrame({"published": published, "census_basis": census}).rename_axis("year")


def census_rebasing_offset(published: pd.Series | None = None) -> float:
    """Census figure for 2020 minus the published 2015-2019 trend extrapolated to 2020."""
    if published is None:
        published = urbanization_reference()["published"]
    first, last = 2015, CENSUS_YEAR - 1
    slope = (published[last] - published[first]) / (last - first)
    return float(published[CENSUS_YEAR] - (published[last] + slope))


def rmspe(model: pd.Series, observed: pd.Series) -> float:
    """Root-mean-square percentage error over the years both series have."""
    years = observed.index.intersection(model.index)
    errors = (model.loc[years] - observed.loc[years]) / observed.loc[years]
    return float(np.sqrt(np.mean(np.square(errors))) * 100)


def urbanization_fit(results: pd.DataFrame, years=range(2016, 2023)) -> dict[str, float]:
    """RMSPE (percent) of the model's urbanization rate against the census-basis and published series."""
    ref = urbanization_reference().loc[lambda d: d.index.isin(list(years))]
    model = results["urbanization_rate"]
    return {"census_basis": rmspe(model, ref["census_basis"]), "published": rmspe(model, ref["published"])}


def calibration_report(results: pd.DataFrame, observations=None) -> pd.DataFrame:
    """The fit of one run to every observation of a calibration file, targets and holdouts apart.

    Parameters
    ----------
    results : pandas.DataFrame
        A run of :func:`sd_model.run` (index ``year``).
    observations : list of Observation, optional
        Default: :func:`calibration.observations.read_observations`.

    Returns
    -------
    pandas.DataFrame
        One row per observation (index ``observation``), targets first: ``role``, ``label``, ``year``,
        ``observed``, ``sd`` (the stated error), ``model``, ``error_pct`` (model against observed),
        ``z`` (the miss in observation errors), ``within`` (``|z| <= WITHIN_SD``) and ``miss`` (for a
        holdout the model misses, why: the file's explanation, empty where none is given).
    """
    from .observations import read_observations

    observations = read_observations(output_names=list(results.columns)) if observations is None else observations
    rows = []
    for o in observations:
        value = float(results.loc[o.year, o.output])
        if o.per:
            value /= float(results.loc[o.year, o.per])
        z = (value - o.value) / o.sd
        rows.append(
            {
                "observation": o.name,
                "role": o.role,
                "label": o.label_en,
                "year": o.year,
                "observed": o.value,
                "sd": o.sd,
                "model": value,
                "error_pct": (value / o.value - 1) * 100,
                "z": z,
                "within": abs(z) <= WITHIN_SD,
                "miss": o.miss or "",
            }
        )
    frame = pd.DataFrame(rows).set_index("observation")
    return pd.concat([frame[frame.role == "target"], frame[frame.role == "holdout"]])
