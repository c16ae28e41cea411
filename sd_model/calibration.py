"""Calibration targets from the public figures in ``data/reference/`` and the model's fit to them.

The 2020 census re-based Guangxi's urbanization series (51.00 % in 2019, 54.20 % in 2020). The model
runs on the census basis: the published 2015-2019 figures are shifted up by the census gap, the
difference between the census figure for 2020 and the published 2015-2019 trend extrapolated to
2020. :func:`urbanization_fit` reports the fit to both the re-based and the published series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .paths import REFERENCE_DIR

RELOCATION_TARGET = 710_000  # people relocated in Guangxi 2016-2020
AT_SITES_2020 = 691_200  # relocated people counted out of poverty in May 2020: living at the sites
EMPLOYMENT_BAND = (0.90, 0.96)  # employment rate of relocated labour, 2021-2022
CENSUS_YEAR = 2020
#: validation holdouts: figures no parameter was fitted to
EMPLOYED_LOCALLY_2018 = 53_100  # relocated people employed locally, Guangxi 2018
HECHI_INCOME_2022 = 12_156  # per-capita income of relocated people in Hechi, 2022


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


def calibration_report(results: pd.DataFrame) -> dict[str, float]:
    """The calibration figures of a run, as reported in ``models/README.md``."""
    fit = urbanization_fit(results)
    return {
        "relocated_to_date_2020": float(results.loc[2020, "relocated_to_date"]),
        "relocated_population_2020": float(results.loc[2020, "relocated_population"]),
        "relocation_error_2020_pct": float((results.loc[2020, "relocated_population"] / RELOCATION_TARGET - 1) * 100),
        "moving_in_complete_2019_pct": float(results.loc[2019, "relocated_to_date"] / RELOCATION_TARGET * 100),
        "employment_rate_2021": float(results.loc[2021, "employment_rate"]),
        "employment_rate_2022": float(results.loc[2022, "employment_rate"]),
        "urbanization_rmspe_census_basis_pct": fit["census_basis"],
        "urbanization_rmspe_published_pct": fit["published"],
        "income_per_capita_2022": float(results.loc[2022, "income_per_capita"]),
        "wage_share_2022": float(results.loc[2022, "wage_income_per_capita"] / results.loc[2022, "income_per_capita"]),
        "relapse_risk_share_2022": float(results.loc[2022, "relapse_risk_share"]),
        "validation_employed_locally_2018": float(results.loc[2018, "employed_locally"]),
        "validation_employed_locally_2018_error_pct": float(
            (results.loc[2018, "employed_locally"] / EMPLOYED_LOCALLY_2018 - 1) * 100
        ),
        "validation_income_2022_vs_hechi_pct": float((results.loc[2022, "income_per_capita"] / HECHI_INCOME_2022 - 1) * 100),
        "at_sites_2020_vs_out_of_poverty_count_pct": float((results.loc[2020, "relocated_population"] / AT_SITES_2020 - 1) * 100),
    }
