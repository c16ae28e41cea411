"""Doors that hold: every kind of bad input gets one line naming the file, row or key and the problem.

The command line is called in this process (``sd_model.cli.main``, as ``python -m sd_model`` does),
so each case costs no interpreter start; ``tests/test_cli.py`` runs the real subprocesses.
"""

from __future__ import annotations

import json
import warnings

import pytest

import sd_model
from engine.translation import MANIFEST, ModelFileError, translated_file
from sd_model.cli import main
from sd_model.model import MAX_STEPS
from sd_model.scenarios import ScenarioError, parse_scenario
from sd_model.spec import MAX_TOML_CHARS

SCENARIO_HEAD = 'name = "x"\ntitle_en = "x"\ntitle_zh = "x"\ndescription_en = "x"\ndescription_zh = "x"\n'
TIME_AXIS = "INITIAL TIME = 0\n~ Year ~|\nFINAL TIME = 2\n~ Year ~|\nTIME STEP = 1\n~ Year ~|\nSAVEPER = 1\n~ Year ~|\n"
BAD_MODELS = {
    "empty": ("", "the model file is empty"),
    "not_vensim": ("hello world, this is a letter\n", "not a model PySD can translate: ParseError"),
    "syntax": ("x = 1 +\n~ dmnl ~|\n" + TIME_AXIS, "not a model PySD can translate"),
    "undefined": ("x = y + 1\n~ dmnl ~|\n" + TIME_AXIS, "it uses 'y', which no equation defines"),
}


def one_line_error(capsys, *args) -> str:
    """Run the command line; it must exit 2 with exactly one line on stderr, starting ``error: ``."""
    status = main(list(args))
    err = capsys.readouterr().err.strip()
    assert status == 2, (args, err)
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SD_MODEL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("case", list(BAD_MODELS))
def test_a_malformed_mdl_gets_one_line_from_run_batch_and_check(case, tmp_path, private_cache, capsys):
    text, message = BAD_MODELS[case]
    mdl = tmp_path / f"{case}.mdl"
    mdl.write_text(text, encoding="utf-8")
    samples = tmp_path / "samples.csv"
    samples.write_text("x\n1\n", encoding="utf-8")
    for args in (
        ["run", "--mdl", str(mdl)],
        ["batch", "--mdl", str(mdl), "--samples", str(samples), "--out", str(tmp_path / "o.csv")],
    ):
        err = one_line_error(capsys, *args)
        assert str(mdl) in err and message in err, err
    assert main(["check", "--mdl", str(mdl)]) == 2  # not a model PySD runs: bad input, not "all equal"
    out = capsys.readouterr().out
    assert out.startswith("pysd-fails") and message in out, out
    with pytest.raises(ModelFileError, match=message):
        sd_model.load_model(mdl)


def test_a_binary_file_is_not_a_model(tmp_path, private_cache):
    mdl = tmp_path / "binary.mdl"
    mdl.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(ModelFileError, match="not a text model file"):
        translated_file(mdl)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dividend_rate,training_coverage\n0.05,0.3,1\n0.06,0.4,2\n", "line 2: 3 fields, the header has 2"),
        ("dividend_rate,training_coverage\n0.05,0.3\n0.06\n", "line 3: 1 fields, the header has 2"),
        ("", "empty samples file"),
    ],
)
def test_a_ragged_or_empty_samples_csv_is_refused_not_shifted(text, message, tmp_path, capsys):
    samples = tmp_path / "samples.csv"
    samples.write_text(text, encoding="utf-8")
    err = one_line_error(capsys, "batch", "--samples", str(samples), "--out", str(tmp_path / "o.csv"))
    assert str(samples) in err and message in err, err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[parameters]\nsecond_relocation_round = 1" + "0" * 400 + "\n", "is an integer of about 401 digits"),
        ("[parameters]\nsecond_relocation_round = 1" + "0" * 5000 + "\n", "Exceeds the limit (4300 digits)"),
        ("deep = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),
        ("padding = '" + "x" * MAX_TOML_CHARS + "'\n", "more than the 1,000,000 a settings file may hold"),
    ],
)
def test_a_scenario_with_absurd_numbers_or_nesting_gets_one_line(body, message, tmp_path, capsys, model):
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO_HEAD + body, encoding="utf-8")
    err = one_line_error(capsys, "run", "--scenario", str(path))
    assert str(path) in err and message in err, err
    with pytest.raises(ScenarioError, match=r"scenario\.toml"):  # the explorer's upload reads through the same door
        parse_scenario(path.read_bytes(), model.validate, source="scenario.toml")


def test_a_huge_integer_parameter_is_a_parameter_error():
    with pytest.raises(sd_model.ParameterError, match="'second_relocation_round' is an integer of about 401 digits"):
        sd_model.run({"second_relocation_round": 10**400})
    with pytest.raises(sd_model.ParameterError, match="about 100001 digits"):
        sd_model.run({"dividend_rate": 10**100_000})


def test_an_absurd_time_step_is_refused_in_one_line(capsys):
    err = one_line_error(capsys, "run", "--time-step", "1e-7")
    assert "200,000,000 steps from 2015 to 2035" in err and f"at most {MAX_STEPS:,}" in err, err
    with pytest.raises(sd_model.ParameterError, match="steps"):
        sd_model.run_batch([[0.05]], names=["dividend_rate"], time_step=2**-30)
    assert len(sd_model.run(time_step=1 / 64)) == 21  # a fine but sane step still runs


def test_a_tampered_translation_is_translated_again_not_imported(tmp_path, private_cache):
    mdl = tmp_path / "small.mdl"
    mdl.write_text("stock = INTEG(1, 0)\n~ dmnl ~|\n" + TIME_AXIS, encoding="utf-8")
    py_file = translated_file(mdl)
    manifest = json.loads((py_file.parent / MANIFEST).read_text(encoding="utf-8"))
    assert set(manifest) == {"model_digest", "mdl_sha256", "py_sha256"}
    original = py_file.read_text(encoding="utf-8")
    py_file.write_text(original + "\nraise SystemExit('planted code ran')\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="the translation differs from the one written"):
        again = translated_file(mdl)
    assert again.read_text(encoding="utf-8") == original
    (again.parent / mdl.name).write_text("x = 1\n", encoding="utf-8")  # the cached copy of the source
    with pytest.warns(UserWarning, match="its copy of the model differs"):
        translated_file(mdl)
    (py_file.parent / MANIFEST).unlink()  # a translation from before the manifests: silently made again
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert translated_file(mdl).read_text(encoding="utf-8") == original
    assert (py_file.parent / MANIFEST).is_file()


def test_only_a_model_that_reads_data_gets_the_files_beside_it(tmp_path, private_cache):
    """The files beside a model are linked into its translation only when it reads data (GET XLS,
    GET DIRECT ...): "county support budget" is not such a call."""
    from engine.translation import READS_DATA

    assert READS_DATA.search("x = GET DIRECT DATA('data.csv', ',', 'A', 'B2')") and READS_DATA.search(
        "GET XLS CONSTANTS("
    )
    assert not READS_DATA.search("county support budget = 1\n~ yuan ~ GET it right|")
    mdl = tmp_path / "small.mdl"
    mdl.write_text("county support budget = 1\n~ dmnl ~|\n" + TIME_AXIS, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("beside the model", encoding="utf-8")
    assert not (translated_file(mdl).parent / "notes.txt").exists()
