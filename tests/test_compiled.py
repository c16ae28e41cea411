"""The compiled engine (LLVM IR written from the trace, or Numba) gives the NumPy loop's numbers: on the
project's model at its defaults and across its full bounds, on every model of tests/models (subscripted
ones traced into one variable per element), a run alone as inside a batch; the two compilers give the same
numbers to the bit; a model the compiled path does not cover says it runs in the NumPy loop; a tampered
kernel module or object file is never loaded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

import sd_model
from engine import compiled
from sd_model.paths import ROOT

#: The compiled kernel against the NumPy loop: equal but for the last bits of LLVM's exp against NumPy's.
RTOL = 1e-12


def both(model: sd_model.Model, columns: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(compiled, NumPy) results of the engine for ``columns`` (engine names) over ``n`` runs."""
    ft, dt = model.control["final_time"], model.control["time_step"]
    return model.engine.run(n, columns, ft, dt, compiled=True), model.engine.run(n, columns, ft, dt, compiled=False)


def assert_close(a: np.ndarray, b: np.ndarray) -> None:
    assert np.array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=RTOL, atol=0)


def test_the_project_model_runs_compiled_and_equal_across_its_bounds():
    model = sd_model.default_model()
    model.run()
    kernels = [k for k in model.engine._kernels.values() if k is not None]
    assert kernels, "the project's model should run in the compiled kernel"
    unit = qmc.LatinHypercube(d=len(model.parameters), seed=7).random(300)
    columns = {
        model.spec.slots[p.name].constant: p.low + unit[:, j] * (p.high - p.low) for j, p in enumerate(model.parameters)
    }
    fast, reference = both(model, columns, 300)
    assert_close(fast, reference)
    assert np.mean(fast == reference) > 0.9  # most values bit for bit


def test_a_run_alone_equals_the_same_run_in_a_batch():
    model = sd_model.default_model()
    rng = np.random.default_rng(3)
    samples = {p.name: rng.uniform(p.low, p.high, 50) for p in model.parameters if p.kind == "lever"}
    batch = sd_model.run_batch(pd.DataFrame(samples), outputs=list(model.output_names))
    for i in (0, 17, 49):
        alone = model.run({name: float(values[i]) for name, values in samples.items()})
        for name in model.output_names:
            np.testing.assert_array_equal(batch[name].isel(run=i).to_numpy(), alone[name].to_numpy())


#: Models the compiled path does not cover, and the construct its warning names.
FALLBACKS = {
    "delay_n_and_fixed.mdl": "DELAY FIXED",
}


@pytest.mark.parametrize("mdl", sorted(p.name for p in (ROOT / "tests" / "models").glob("*.mdl")))
def test_every_test_model_compiled_equals_numpy_or_says_why_not(mdl):
    model = sd_model.load_model(ROOT / "tests" / "models" / mdl)
    model.engine._kernels.clear()
    try:
        if mdl in FALLBACKS:
            with pytest.warns(compiled.CompiledFallbackWarning, match=f"{FALLBACKS[mdl]}.*the NumPy loop runs it"):
                fast, reference = both(model, {}, 3)
        else:
            fast, reference = both(model, {}, 3)
            assert None not in model.engine._kernels.values(), f"{mdl} should run compiled"
    except NotImplementedError as refused:  # a model the generator refuses (by name) is refused by both
        assert "changes with Time" in str(refused), refused
        return
    assert_close(fast, reference)


def test_a_subscripted_model_runs_compiled_and_equal_across_its_bounds_per_element():
    """ten_counties: every element of its subscripted constants varied over its bounds, each run its own
    values (``run`` the last dimension of the DataArrays the kernel's columns are packed from)."""
    model = sd_model.load_model(ROOT / "tests" / "models" / "ten_counties.mdl")
    model.engine._kernels.clear()
    unit = qmc.LatinHypercube(d=len(model.parameters), seed=11).random(200)
    samples = pd.DataFrame({p.name: p.low + unit[:, j] * (p.high - p.low) for j, p in enumerate(model.parameters)})
    assert any("[" in name for name in samples)
    fast = sd_model.run_batch(samples, model=model, outputs=list(model.output_names))
    assert [k for k in model.engine._kernels.values() if k is not None], "ten_counties should run compiled"
    model.engine._kernels.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SD_MODEL_ENGINE", "numpy")
        reference = sd_model.run_batch(samples, model=model, outputs=list(model.output_names))
    for name in model.output_names:
        assert_close(fast[name].to_numpy(), reference[name].to_numpy())
    # the elements are not mixed up: county c7's employment moves with c7's own training coverage
    low, high = dict(samples.iloc[0]), dict(samples.iloc[0])
    low["training_coverage[c7]"], high["training_coverage[c7]"] = 0.0, 1.0
    runs = {k: model.run(v).iloc[-1] for k, v in (("low", low), ("high", high))}
    moved = [c for c in runs["low"].index if runs["low"][c] != runs["high"][c]]
    assert "employed[c7]" in moved and "employed[c6]" not in moved


def _compile_smooth(tmp_path, monkeypatch):
    monkeypatch.setenv("SD_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(compiled, "_kernels", {})
    model = sd_model.load_model(ROOT / "tests" / "models" / "smooth.mdl")
    engine = model.engine
    c, s, orders = engine._initialise({}, model.control["final_time"], model.control["time_step"])
    loop, source = engine._compiled_loop(orders)
    arguments = (source, loop.__globals__, c, s, len(engine.columns))
    return arguments, compiled.compile_kernel(*arguments)


def test_a_tampered_kernel_module_is_written_again_not_imported(tmp_path, monkeypatch):
    monkeypatch.setenv("SD_MODEL_COMPILER", "numba")
    arguments, kernel = _compile_smooth(tmp_path, monkeypatch)
    assert kernel.backend == "numba"
    marker = tmp_path / "executed"
    text = kernel.path.read_text(encoding="utf-8")
    kernel.path.write_text(f"open({str(marker)!r}, 'w').close()\n" + text, encoding="utf-8")
    monkeypatch.setattr(compiled, "_kernels", {})
    again = compiled.compile_kernel(*arguments)
    assert again.path == kernel.path and again.path.read_text(encoding="utf-8") == text
    assert not marker.exists()


def test_a_tampered_object_file_is_compiled_again_not_loaded(tmp_path, monkeypatch):
    arguments, kernel = _compile_smooth(tmp_path, monkeypatch)
    assert kernel.backend == "llvm" and kernel.path.suffix == ".o"
    good = kernel.path.read_bytes()
    kernel.path.write_bytes(good[: len(good) // 2] + b"\xcc" * (len(good) - len(good) // 2))
    monkeypatch.setattr(compiled, "_kernels", {})
    again = compiled.compile_kernel(*arguments)
    assert again.path == kernel.path and again.path.read_bytes() == good
    model = sd_model.load_model(ROOT / "tests" / "models" / "smooth.mdl")
    ft, dt = model.control["final_time"], model.control["time_step"]
    assert_close(model.engine.run(2, {}, ft, dt, compiled=True), model.engine.run(2, {}, ft, dt, compiled=False))


@pytest.mark.parametrize(
    "mdl", ["relocation.mdl", "ten_counties.mdl", "negative_modulo_and_branches.mdl", "builtins.mdl"]
)
def test_the_llvm_kernel_equals_the_numba_kernel_to_the_bit(mdl, monkeypatch):
    """The two compilers write the same operations: their results are the same numbers, across the bounds."""
    model = (
        sd_model.default_model() if mdl == "relocation.mdl" else sd_model.load_model(ROOT / "tests" / "models" / mdl)
    )
    bounded = [p for p in model.parameters if np.isfinite(p.low) and np.isfinite(p.high)]
    unit = qmc.LatinHypercube(d=max(len(bounded), 1), seed=5).random(64)
    samples = pd.DataFrame(
        {p.name: p.low + unit[:, j] * (p.high - p.low) for j, p in enumerate(bounded)}, index=range(64)
    )
    results = {}
    for name in ("llvm", "numba"):
        monkeypatch.setenv("SD_MODEL_COMPILER", name)
        model.engine._kernels.clear()
        results[name] = sd_model.run_batch(samples, model=model, outputs=list(model.output_names), progress=False)
        assert [k.backend for k in model.engine._kernels.values()] == [name]
    for output in model.output_names:
        np.testing.assert_array_equal(results["llvm"][output].to_numpy(), results["numba"][output].to_numpy())


def test_the_compiler_choice_is_checked(monkeypatch):
    monkeypatch.setenv("SD_MODEL_COMPILER", "fortran")
    model = sd_model.load_model(ROOT / "tests" / "models" / "smooth.mdl")
    model.engine._kernels.clear()
    with pytest.raises(ValueError, match="SD_MODEL_COMPILER must be 'llvm' or 'numba', got 'fortran'"):
        model.run()


def test_the_engine_choice_is_checked(monkeypatch):
    monkeypatch.setenv("SD_MODEL_ENGINE", "fortran")
    with pytest.raises(ValueError, match="SD_MODEL_ENGINE must be 'compiled' or 'numpy', got 'fortran'"):
        sd_model.default_model().run()


INITIAL_MODELS = ["relocation.mdl", *sorted(p.name for p in (ROOT / "tests" / "models").glob("*.mdl"))]


@pytest.mark.parametrize("mdl", INITIAL_MODELS)
def test_a_constant_said_not_to_touch_the_initial_states_does_not(mdl):
    """The engine reuses initial states across runs that differ only in constants PySD's graph says they
    do not depend on: checked by changing each such constant and asking PySD for the states again."""
    path = ROOT / "models" / mdl if mdl == "relocation.mdl" else ROOT / "tests" / "models" / mdl
    engine = sd_model.load_model(path).engine
    names = engine.initial_constants()
    assert names is not None
    ft, dt = engine.control["final_time"], engine.control["time_step"]
    base = engine._pysd_initial({}, ft, dt)
    defaults = engine._constant_values
    for name in sorted(set(engine._varied) - names):
        states, orders = engine._pysd_initial({name: defaults[name] * 1.37 + 0.11}, ft, dt)
        assert orders == base[1], name
        for key, value in states.items():
            assert np.array_equal(np.asarray(value, dtype=float), np.asarray(base[0][key], dtype=float)), (name, key)


def test_a_run_reuses_initial_states_only_where_they_are_the_same():
    model = sd_model.default_model()
    engine = model.engine
    engine._initial_states.clear()
    first = model.run({"training_coverage": 0.9})
    assert len(engine._initial_states) == 1
    second = model.run({"training_coverage": 0.2})  # a lever: the same initial states, reused
    assert len(engine._initial_states) == 1
    changed = model.run({"relocation_target_historical": 690_000})  # an initial value: PySD asked again
    assert len(engine._initial_states) == 2
    assert not first.equals(second)
    assert not changed.iloc[0].equals(first.iloc[0])
    engine._initial_states.clear()
    assert model.run({"training_coverage": 0.2}).equals(second)


def test_two_models_with_the_same_kernel_text_keep_their_own_columns(tmp_path):
    """Two models whose kernels are the same text (one constant, named differently) share the machine
    code, never the names of the constants packed into it."""
    text = (ROOT / "tests" / "models" / "smooth.mdl").read_text(encoding="utf-8")
    results = []
    for name in ("alpha", "beta"):
        constant = f"{name}=\n\t3\n\t~\twidgets\n\t~\tA constant.\n\t|\n\n"
        mdl = tmp_path / f"{name}.mdl"
        mdl.write_text(text.replace("{UTF-8}\n", "{UTF-8}\n" + constant, 1).replace("STEP(10, 2)", f"STEP({name}, 2)"))
        model = sd_model.load_model(mdl)
        results.append(model.run({name: 7.0}))
        assert None not in model.engine._kernels.values()
    assert results[0].equals(results[1]) and results[0].iloc[-1].max() > 6.9
