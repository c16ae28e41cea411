"""Runs in rounds (``Model.run_rounds``), as in Vensim's game mode and the workshop room's rounds: the
settings change at a round's year and the run goes on from the state the rounds before left. The
reference is PySD itself: a run to the round's start, then PySD's ``run(initial_condition="current")``
with the next round's settings."""

from __future__ import annotations

import numpy as np
import pysd
import pytest

import sd_model

ROUND_1 = {"training_coverage": 0.4, "community_governance": 0.3, "industry_jobs_per_worker": 0.3}
ROUND_2 = {"training_coverage": 0.9, "community_governance": 0.8, "industry_jobs_per_worker": 0.5}


@pytest.fixture(scope="module")
def model():
    return sd_model.default_model()


def test_rounds_with_the_same_settings_are_one_run_to_the_bit(model):
    one = model.run(ROUND_1)
    rounds = model.run_rounds([(2026, ROUND_1), (2031, ROUND_1), (2033, ROUND_1)])
    np.testing.assert_array_equal(rounds.to_numpy(), one.to_numpy())


def test_a_later_round_equals_pysd_continuing_the_run(model):
    reference = pysd.load(str(model.py_file))
    names = [o.vensim_name for o in model.outputs]
    first = reference.run(params=ROUND_1, final_time=2030, return_columns=names, progress=False)
    second = reference.run(
        params=ROUND_2, initial_condition="current", final_time=2035, return_columns=names, progress=False
    )
    ours = model.run_rounds([(2026, ROUND_1), (2031, ROUND_2)])
    expected = {
        o.name: np.concatenate([first[o.vensim_name].to_numpy()[:-1], second[o.vensim_name].to_numpy()])[None, :]
        for o in model.outputs
    }
    model.mask_nobody(expected, expected[model.population_output].copy())  # an income of nobody is missing
    for output in model.outputs:
        np.testing.assert_allclose(ours[output.name], expected[output.name][0], rtol=1e-12, atol=0, err_msg=output.name)


def test_a_later_round_changes_nothing_before_its_year(model):
    one = model.run(ROUND_1)
    rounds = model.run_rounds([(2026, ROUND_1), (2031, ROUND_2)])
    np.testing.assert_array_equal(rounds.loc[:2029].to_numpy(), one.loc[:2029].to_numpy())
    assert rounds.loc[2035, "employment_rate"] != one.loc[2035, "employment_rate"]


def test_rounds_are_checked(model):
    with pytest.raises(ValueError, match=r"round 2: .*training_coverage"):
        model.run_rounds([(2026, ROUND_1), (2031, {"training_coverage": 7.0})])
    with pytest.raises(ValueError, match="round 2: year 2040 is not inside the run"):
        model.run_rounds([(2026, ROUND_1), (2040, ROUND_2)])
    with pytest.raises(ValueError, match="increasing times"):
        model.run_rounds([(2026, ROUND_1), (2031, ROUND_2), (2029, ROUND_1)])
    with pytest.raises(ValueError, match="at least one round"):
        model.run_rounds([])
