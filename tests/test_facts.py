"""Facts about the model live in models/*.toml, not in code: the headline outputs, the periods of the
loop story, the optimiser's fixed levers and the horizon (the model's FINAL TIME)."""

from __future__ import annotations

import tomllib

import pytest

import sd_model
from robustness.optimize import searched_levers
from robustness.targets import TARGETS_FILE, fixed_levers
from sd_model.loop_dominance import LOOPS_FILE, read_periods
from sd_model.paths import METADATA_FILE, MODEL_FILE


def test_the_kpis_are_those_of_model_toml(model, tmp_path):
    declared = tomllib.loads(METADATA_FILE.read_text(encoding="utf-8"))["kpis"]
    assert sd_model.KPIS == model.kpis == tuple(declared) == model.default_outputs
    edited = tmp_path / "model.toml"
    edited.write_text(
        METADATA_FILE.read_text(encoding="utf-8").replace('"fiscal_cost"]', '"fiscal_costs"]', 1), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="kpis names 'fiscal_costs', which is not an output"):
        sd_model.Model(MODEL_FILE, edited)


def test_the_loop_periods_are_those_of_loops_toml(tmp_path):
    assert read_periods() == ((2016, 2020), (2021, 2025), (2026, 2030), (2031, 2035))
    bad = tmp_path / "loops.toml"
    bad.write_text(LOOPS_FILE.read_text(encoding="utf-8").replace("[2031, 2035]", "[2035, 2031]"), encoding="utf-8")
    with pytest.raises(ValueError, match=r"loops\.toml: periods must be a list of \[first, last\] years"):
        read_periods(bad)


def test_the_fixed_levers_are_those_of_targets_toml(model, tmp_path):
    assert fixed_levers(model=model) == ("policy_year", "second_relocation_round", "budget_constraint")
    assert {p.name for p in searched_levers(model)} == {p.name for p in model.parameters if p.kind == "lever"} - set(
        fixed_levers()
    )
    bad = tmp_path / "targets.toml"
    bad.write_text(
        TARGETS_FILE.read_text(encoding="utf-8").replace('"budget_constraint"]', '"dividend_rate_historical"]'),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="fixed_levers names 'dividend_rate_historical', which is not a lever"):
        fixed_levers(bad, model)


def test_the_horizon_is_the_models_final_time(model):
    from robustness.experiments import futures, run_experiment

    experiment = run_experiment([{}], futures(3, 1), ["cumulative_fiscal_cost"])
    assert int(experiment.data["year"].values[-1]) == int(model.control["final_time"]) == 2035
    assert (experiment.final_cost() == experiment.data["cumulative_fiscal_cost"].sel(year=2035).values).all()


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("model.toml", 'label_en = "Employment rate of relocated labour"',
         'lable_en = "x"\nlabel_en = "Employment rate of relocated labour"',
         "[[outputs]] 2 'employment_rate': unknown key 'lable_en'"),
        ("model.toml", "headline_year = 2030", 'headline_year = "2030"',
         "key 'headline_year' must be an integer, got str"),
        ("model.toml", "slider_step = 1", "slider_stepp = 1",
         "[[parameters]] 1 'policy_year': unknown key 'slider_stepp'"),
        ("loops.toml", 'polarity = "R"', 'polarity = "R"\npolarty = "B"',
         "[[loops]] 1 'livelihood': unknown key 'polarty'"),
        ("targets.toml", 'aggregate = "min"', 'aggregate = "min"\nthreshold = 0.9', "unknown key 'threshold'"),
        ("targets.toml", "fixed_levers = [", "fixed_lever = [",
         "unknown key 'fixed_lever'; allowed keys: fixed_levers, cost_output, policy_parameter, targets"),
        ("calibration.toml", "rel_sd = 0.01", "rel_sd = 0.01\nrelsd = 0.02", "unknown key 'relsd'"),
    ],
)  # fmt: skip
def test_every_toml_file_refuses_a_key_it_does_not_know(tmp_path, file, old, new, message):
    """One spec (sd_model/spec.py) for every TOML file: a typo is refused in one line naming file, table and key."""
    import re

    from sd_model import spec
    from sd_model.paths import MODELS_DIR

    text = (MODELS_DIR / file).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / file
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    kind = {
        "model.toml": spec.MODEL,
        "loops.toml": spec.LOOPS,
        "targets.toml": spec.TARGETS,
        "calibration.toml": spec.CALIBRATION,
    }[file]
    with pytest.raises(spec.SpecError, match=re.escape(f"{path}: ")) as caught:
        spec.read(path, kind)
    assert message in str(caught.value) and len(str(caught.value).splitlines()) == 1, str(caught.value)
