"""Benchmark: this engine against its peers (PySD, pysimlin, SDEverywhere) on one ``.mdl``, measured in one run.

Runs the same Vensim model in

1. PySD's own loop (``pysd.load`` of the translation this project caches; ``Model.run`` per run);
2. pysimlin (Simlin's engine, ``simlin.load`` of the ``.mdl``; a fresh ``Sim`` with overrides per run);
3. SDEverywhere: the npm packages are installed by this script into ``<cache>/sdeverywhere``
   (:func:`engine.cache.cache_dir`; ``npm install --prefix``, reused afterwards), JavaScript is
   generated from the ``.mdl`` (``sde generate --outformat=js``, or the same call into
   ``@sdeverywhere/compile`` where the CLI cannot be installed) and run in node by a small harness
   that times one run and a loop of runs with fresh inputs through ``@sdeverywhere/runtime``;
4. this project's engine: ``Model.run`` (one run) and :func:`sd_model.run_batch` (many), on the
   compiled kernel (LLVM IR from the trace) and, in a subprocess with ``SD_MODEL_ENGINE=numpy``, on the NumPy loop.

For each it reports the time of one run (median of warm runs with varied parameters) and of 10,000
runs (every parameter varied over its bounds, a Latin hypercube): measured for ``run_batch``, a
measured loop of 2,000 runs scaled by 5 for pysimlin and SDEverywhere, and the median run times
10,000 for PySD. Every figure is also given as a ratio to the compiled engine measured in the same
run. A second table checks that the peers agree: one KPI (default ``employment_rate`` in the
model's headline year) at the default parameters and over the varied runs, as relative differences
from the compiled engine. A peer that cannot run the model is reported with its error in one line.

    .venv/bin/python benchmarks/bench_peers.py [--mdl PATH] [--kpi NAME] [--year Y] [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy.stats import qmc

import sd_model
from engine.cache import cache_dir
from engine.compiled import CompiledFallbackWarning
from sd_model.paths import MODEL_FILE

#: npm packages: the CLI (preferred), the compiler it wraps (fallback) and the runtime that runs generated JS.
SDE_CLI = "@sdeverywhere/cli@^0.7"
SDE_COMPILE = "@sdeverywhere/compile@^0.7"
SDE_RUNTIME = "@sdeverywhere/runtime@^0.2"
#: Host of the ``xlsx`` tarball that ``@sdeverywhere/compile`` depends on (not on the npm registry).
XLSX_HOST = "cdn.sheetjs.com"
NPM_TIMEOUT = 900

#: Generates JS as ``sde generate --outformat=js`` does: the raw ``.mdl`` and the spec into ``parseAndGenerate``.
GENERATE_JS = """\
import { readFileSync, mkdirSync } from 'fs'
import path from 'path'
import { parseAndGenerate } from '@sdeverywhere/compile'

const [mdlFile, specFile, buildDir, modelName] = process.argv.slice(2)
const spec = JSON.parse(readFileSync(specFile, 'utf8'))
mkdirSync(buildDir, { recursive: true })
const mdl = readFileSync(mdlFile, 'utf8')
await parseAndGenerate(mdl, 'vensim', spec, ['generateJS'], path.dirname(path.resolve(mdlFile)), modelName, buildDir)
"""

#: Times the generated model in node: one run (median of warm runs) and a loop of runs, fresh inputs each.
HARNESS_JS = """\
import { readFileSync } from 'fs'
import { pathToFileURL } from 'url'
import { createSynchronousModelRunner } from '@sdeverywhere/runtime'

const [modelFile, inputsFile, loopsArg, repeatArg, timeArg] = process.argv.slice(2)
const { defaults, rows } = JSON.parse(readFileSync(inputsFile, 'utf8'))
const loops = Number(loopsArg)
const repeat = Number(repeatArg)
const kpiTime = Number(timeArg)
const load = (await import(pathToFileURL(modelFile).href)).default
const runner = createSynchronousModelRunner(await load())
const outputs = runner.createOutputs()
const kpi = () => outputs.varSeries[0].getValueAtTime(kpiTime) ?? null
const now = () => Number(process.hrtime.bigint()) / 1e9
runner.runModelSync(defaults, outputs)
const kpiDefault = kpi()
for (let i = 0; i < Math.min(loops, 200); i++) runner.runModelSync(rows[i % rows.length], outputs)
const single = []
for (let i = 0; i < repeat; i++) {
  const t0 = now()
  runner.runModelSync(rows[i % rows.length], outputs)
  single.push(now() - t0)
}
single.sort((a, b) => a - b)
const kpis = new Array(loops)
const t0 = now()
for (let i = 0; i < loops; i++) {
  runner.runModelSync(rows[i % rows.length], outputs)
  kpis[i] = kpi()
}
const loopSeconds = now() - t0
console.log(JSON.stringify({ kpiDefault, oneRun: single[Math.floor(single.length / 2)], loops, loopSeconds, kpis }))
"""

#: A stand-in ``xlsx`` package for when its tarball host is unreachable (only Excel data files need it).
XLSX_STUB_JS = """\
const unavailable = () => {
  throw new Error('xlsx is a stand-in here (cdn.sheetjs.com unreachable): Excel data files are not supported')
}
export default { set_fs() {}, readFile: unavailable, utils: {} }
"""


@dataclass
class Result:
    """What one peer measured.

    Attributes
    ----------
    peer : str
        Name in the tables.
    version : str
        The peer's version (package versions for SDEverywhere).
    one_run : float or None
        Seconds for one run: the median of warm runs with varied parameters.
    batch : float or None
        Seconds for ``runs`` runs, measured or scaled as ``batch_how`` says.
    batch_how : str
        How ``batch`` was obtained.
    kpi_default : float or None
        The KPI at the default parameters.
    kpis : numpy.ndarray or None
        The KPI for the first ``len(kpis)`` rows of the sample (for the agreement check).
    error : str
        The peer's error in one line, empty when it ran.
    notes : list of str
        Anything the reader should know (installs, fallbacks).
    """

    peer: str
    version: str = ""
    one_run: float | None = None
    batch: float | None = None
    batch_how: str = ""
    kpi_default: float | None = None
    kpis: np.ndarray | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Setup:
    """The model, the KPI and the sample every peer runs.

    Attributes
    ----------
    model : sd_model.Model
        The model of ``--mdl``.
    kpi : str
        Output name of the KPI (``Model.run`` column).
    kpi_vensim : str
        Its Vensim name.
    year : float
        Label on the model's time axis at which the KPI is read.
    time : float
        The model time of that label.
    names : list of str
        Parameter names, in the sample's columns.
    defaults : numpy.ndarray
        Default values of the parameters.
    samples : numpy.ndarray
        ``(runs, k)`` Latin hypercube over the parameters' bounds (a parameter without a range keeps its default).
    runs, loops, repeat : int
        Runs of a batch, runs of a measured loop, warm runs timed for one run.
    """

    model: object
    kpi: str
    kpi_vensim: str
    year: float
    time: float
    names: list[str]
    defaults: np.ndarray
    samples: np.ndarray
    runs: int
    loops: int
    repeat: int

    def row(self, i: int) -> dict[str, float]:
        """Parameter name to value for row ``i`` of the sample (wrapping round)."""
        return dict(zip(self.names, self.samples[i % len(self.samples)].tolist(), strict=True))


def one_line(text: str, limit: int = 600) -> str:
    """An error message on one line.

    Parameters
    ----------
    text : str
        Any message, possibly over several lines.
    limit : int
        Characters kept.

    Returns
    -------
    str
        The non-empty lines joined by `` | ``, cut to ``limit``.
    """
    joined = " | ".join(line.strip() for line in str(text).splitlines() if line.strip())
    return joined if len(joined) <= limit else joined[: limit - 3] + "..."


def error_of(exc: BaseException) -> str:
    """An exception as ``Type: message`` on one line."""
    return one_line(f"{type(exc).__name__}: {exc}")


def median_time(func, repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``func(i)`` with ``i`` the call's number.

    Parameters
    ----------
    func : callable
        Called with the index of the call.
    repeat : int
        Number of timed calls.

    Returns
    -------
    float
        Seconds.
    """
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        func(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_setup(args) -> Setup:
    """Load the model and draw the sample.

    Parameters
    ----------
    args : argparse.Namespace
        The command line.

    Returns
    -------
    Setup
    """
    model = sd_model.load_model(args.mdl)
    outputs = {o.name: o for o in model.outputs}
    kpi = args.kpi or next(n for n in ("employment_rate", *model.kpis, *outputs) if n in outputs)
    if kpi not in outputs:
        raise SystemExit(f"--kpi {kpi!r} is not an output of {args.mdl}")
    times = np.asarray(model.times(), dtype=float)
    year = args.year if args.year is not None else (model.headline_year or float(times[-1]))
    if not np.isclose(times, year).any():
        raise SystemExit(f"--year {year} is not a saved time of {args.mdl}")
    table = model.parameters
    defaults = np.array([p.default for p in table], dtype=float)
    low = np.array([p.low for p in table], dtype=float)
    high = np.array([p.high for p in table], dtype=float)
    unit = qmc.LatinHypercube(d=len(table), seed=args.seed).random(args.runs)
    samples = np.where(high > low, low + unit * (high - low), defaults)
    return Setup(
        model=model,
        kpi=kpi,
        kpi_vensim=outputs[kpi].vensim_name,
        year=year,
        time=float(year),  # saved times are labelled by themselves (rounded to whole years on a year axis)
        names=[p.name for p in table],
        defaults=defaults,
        samples=samples,
        runs=args.runs,
        loops=min(args.loops, args.runs),
        repeat=args.repeat,
    )


# --- this engine --------------------------------------------------------------------------------------


def measure_engine(setup: Setup, batch_repeat: int) -> dict:
    """Time this engine in the current process (compiled or NumPy, as ``SD_MODEL_ENGINE`` says).

    Parameters
    ----------
    setup : Setup
        Model and sample.
    batch_repeat : int
        Timed batches; the median is reported.

    Returns
    -------
    dict
        ``one_run`` and ``batch`` (seconds), ``kpi_default``, ``kpis`` (every run of the batch).
    """
    model = setup.model
    model.run()  # translation, kernel compilation
    sd_model.run_batch(setup.samples[:100], names=setup.names, outputs=[setup.kpi], model=model, progress=False)
    one = median_time(lambda i: model.run(setup.row(i)), setup.repeat)
    times, result = [], None
    for _ in range(batch_repeat):
        start = time.perf_counter()
        result = sd_model.run_batch(setup.samples, names=setup.names, outputs=[setup.kpi], model=model, progress=False)
        times.append(time.perf_counter() - start)
    kpis = result[setup.kpi].sel({model.time_name: setup.year}).to_numpy()
    return {
        "one_run": one,
        "batch": statistics.median(times),
        "kpi_default": float(model.run().loc[setup.year, setup.kpi]),
        "kpis": kpis.tolist(),
    }


def engine_compiled(setup: Setup, args) -> Result:
    """This engine's compiled path, measured in this process.

    Parameters
    ----------
    setup : Setup
        Model and sample.
    args : argparse.Namespace
        The command line (``batch_repeat``).

    Returns
    -------
    Result
    """
    result = Result("sd_model compiled (LLVM)", version=f"llvmlite {metadata.version('llvmlite')}")
    previous = os.environ.pop("SD_MODEL_ENGINE", None)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CompiledFallbackWarning)
            m = measure_engine(setup, args.batch_repeat)
    except Exception as exc:
        result.error = error_of(exc)
        return result
    finally:
        if previous is not None:
            os.environ["SD_MODEL_ENGINE"] = previous
    result.notes = sorted({str(w.message) for w in caught if issubclass(w.category, CompiledFallbackWarning)})
    result.one_run, result.batch, result.kpi_default = m["one_run"], m["batch"], m["kpi_default"]
    result.kpis = np.asarray(m["kpis"], dtype=float)
    result.batch_how = f"run_batch, median of {args.batch_repeat}"
    return result


def engine_numpy(setup: Setup, args) -> Result:
    """This engine's NumPy loop, measured in a subprocess with ``SD_MODEL_ENGINE=numpy``.

    Parameters
    ----------
    setup : Setup
        Model and sample (the subprocess draws the same sample from the same arguments).
    args : argparse.Namespace
        The command line, passed on.

    Returns
    -------
    Result
    """
    result = Result("sd_model NumPy loop", version=f"numpy {np.__version__}")
    command = [sys.executable, str(Path(__file__).resolve()), "--engine-only", "--mdl", str(args.mdl)]
    command += ["--runs", str(args.runs), "--repeat", str(args.repeat), "--seed", str(args.seed)]
    command += ["--batch-repeat", str(args.batch_repeat), "--kpi", setup.kpi, "--year", str(setup.year)]
    env = {**os.environ, "SD_MODEL_ENGINE": "numpy"}
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines()  # the last line of a traceback: the exception
            raise RuntimeError(lines[-1] if lines else f"exit {done.returncode}")
        m = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as exc:
        result.error = error_of(exc)
        return result
    result.one_run, result.batch, result.kpi_default = m["one_run"], m["batch"], m["kpi_default"]
    result.kpis = np.asarray(m["kpis"], dtype=float)
    result.batch_how = f"run_batch, median of {args.batch_repeat}"
    return result


# --- PySD ---------------------------------------------------------------------------------------------


def peer_pysd(setup: Setup, args) -> Result:
    """PySD's own loop on the translation this project caches (``pysd.load(model.py_file).run``).

    Parameters
    ----------
    setup : Setup
        Model and sample.
    args : argparse.Namespace
        The command line (``pysd_repeat``).

    Returns
    -------
    Result
    """
    result = Result("PySD (own loop)")
    try:
        import pysd

        result.version = f"pysd {pysd.__version__}"
        model = setup.model
        vensim = [model.parameter_table[n].vensim_name for n in setup.names]
        for name in vensim:
            if "[" in name:
                raise NotImplementedError(f"run(params=...) sets whole constants; {name!r} is one element of one")
        py_names = [model.py_names[name] for name in vensim]
        columns = [setup.kpi_vensim]
        repeat = min(args.pysd_repeat, setup.loops)
        kpis = np.full(repeat, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            plain = pysd.load(str(model.py_file))
            frame = plain.run(params=dict(zip(py_names, setup.defaults.tolist(), strict=True)), return_columns=columns)
            result.kpi_default = float(frame.loc[setup.time, setup.kpi_vensim])

            def one(i):
                row = dict(zip(py_names, setup.samples[i].tolist(), strict=True))
                kpis[i] = plain.run(params=row, return_columns=columns).loc[setup.time, setup.kpi_vensim]

            result.one_run = median_time(one, repeat)
    except Exception as exc:
        result.error = error_of(exc)
        return result
    result.kpis = kpis
    result.batch = result.one_run * setup.runs
    result.batch_how = f"median of {repeat} runs x {setup.runs:,}"
    return result


# --- pysimlin -----------------------------------------------------------------------------------------


def simlin_name(vensim_name: str) -> str:
    """pysimlin's name of a variable: the Vensim name in lower case, runs of spaces as ``_``."""
    return re.sub(r"[\s_]+", "_", vensim_name.strip().lower())


def peer_simlin(setup: Setup, args) -> Result:
    """pysimlin: ``simlin.load`` of the ``.mdl``, a fresh ``Sim`` with the parameters as overrides per run.

    Parameters
    ----------
    setup : Setup
        Model and sample.
    args : argparse.Namespace
        The command line (unused).

    Returns
    -------
    Result
    """
    result = Result("pysimlin")
    try:
        import simlin

        result.version = f"pysimlin {metadata.version('pysimlin')}"
        model = setup.model
        sim_model = simlin.load(str(model.mdl_file))
        names = [simlin_name(model.parameter_table[n].vensim_name) for n in setup.names]
        kpi = simlin_name(setup.kpi_vensim)

        def run(values) -> float:
            with sim_model.simulate(overrides=dict(zip(names, values, strict=True))) as sim:
                sim.run_to_end()
                times, series = sim.get_series("time"), sim.get_series(kpi)
            return float(series[np.isclose(times, setup.time)][0])

        result.kpi_default = run(setup.defaults.tolist())
        for i in range(min(20, setup.loops)):
            run(setup.samples[i].tolist())
        result.one_run = median_time(lambda i: run(setup.samples[i].tolist()), setup.repeat)
        kpis = np.full(setup.loops, np.nan)
        rows = setup.samples[: setup.loops].tolist()
        start = time.perf_counter()
        for i, values in enumerate(rows):
            kpis[i] = run(values)
        loop = time.perf_counter() - start
    except Exception as exc:
        result.error = error_of(exc)
        return result
    result.kpis = kpis
    result.batch = loop * setup.runs / setup.loops
    result.batch_how = f"loop of {setup.loops:,} measured, x{setup.runs / setup.loops:g}"
    return result


# --- SDEverywhere -------------------------------------------------------------------------------------


def npm(folder: Path, *packages: str) -> subprocess.CompletedProcess:
    """``npm install --prefix folder packages`` (no audit, no funding messages)."""
    command = ["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error", *packages]
    return subprocess.run(command, capture_output=True, text=True, timeout=NPM_TIMEOUT, check=False)


def npm_error(done: subprocess.CompletedProcess) -> str:
    """The gist of a failed npm command, on one line."""
    lines = [
        line
        for line in done.stderr.splitlines()
        if "npm error" in line and "complete log" not in line and not re.fullmatch(r"npm error( \d+)?\s*", line)
    ]
    return one_line("\n".join(lines[:3]) or done.stderr or f"npm exit {done.returncode}")


def node_error(text: str) -> str:
    """The error line of a node failure (``Error: ...``), else the whole output on one line."""
    for line in text.splitlines():
        if re.match(r"^\s*\w*Error\b.*:", line):
            return line.strip()
    return one_line(text or "no output")


def host_resolves(host: str) -> bool:
    """Whether ``host`` has an address (a quick check before npm spends minutes on retries)."""
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def write_package_json(folder: Path) -> list[str]:
    """Write the cache folder's ``package.json``; where the ``xlsx`` tarball's host does not resolve,
    override ``xlsx`` with a local stand-in.

    Parameters
    ----------
    folder : Path
        The SDEverywhere cache folder.

    Returns
    -------
    list of str
        Notes on what was done.
    """
    package = {"name": "sd-model-sdeverywhere-bench", "private": True, "type": "module"}
    notes = []
    if not host_resolves(XLSX_HOST):
        stub = folder / "xlsx-stub"
        stub.mkdir(parents=True, exist_ok=True)
        (stub / "package.json").write_text(
            json.dumps({"name": "xlsx", "version": "0.0.0-stub", "type": "module", "main": "index.js"})
        )
        (stub / "index.js").write_text(XLSX_STUB_JS)
        package["overrides"] = {"xlsx": "file:./xlsx-stub"}
        notes.append(f"{XLSX_HOST} does not resolve: the xlsx dependency of @sdeverywhere/compile is a local stand-in")
    (folder / "package.json").write_text(json.dumps(package, indent=2))
    return notes


def installed_versions(folder: Path) -> dict[str, str]:
    """Versions of the SDEverywhere packages under ``folder/node_modules``."""
    versions = {}
    for name in ("cli", "compile", "parse", "runtime"):
        manifest = folder / "node_modules" / "@sdeverywhere" / name / "package.json"
        if manifest.exists():
            versions[name] = json.loads(manifest.read_text())["version"]
    return versions


def install_sde(folder: Path) -> tuple[dict, list[str]]:
    """Install SDEverywhere into ``folder`` on first use; reuse it afterwards.

    Tries ``@sdeverywhere/cli`` 0.7.x (with the runtime); if npm cannot install it, installs
    ``@sdeverywhere/compile`` 0.7.x, the compiler the CLI wraps.

    Parameters
    ----------
    folder : Path
        The cache folder.

    Returns
    -------
    versions : dict
        Package name to installed version.
    notes : list of str
        What was installed or reused, how long it took, and any fallback with npm's error.

    Raises
    ------
    RuntimeError
        Without node or npm, or when neither install succeeds (npm's error).
    """
    marker = folder / "installed.json"
    if marker.exists() and installed_versions(folder).get("runtime"):
        first = json.loads(marker.read_text()).get("notes", [])
        return installed_versions(folder), [f"reused {folder}" + ("; at its install:" if first else ""), *first]
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is not on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    notes = write_package_json(folder)
    done = npm(folder, SDE_CLI, SDE_RUNTIME)
    if done.returncode != 0:
        notes.append(f"npm install {SDE_CLI} failed ({npm_error(done)}); generated with {SDE_COMPILE} instead")
        done = npm(folder, SDE_COMPILE, SDE_RUNTIME)
        if done.returncode != 0:
            raise RuntimeError(f"npm install {SDE_COMPILE} {SDE_RUNTIME}: {npm_error(done)}")
    versions = installed_versions(folder)
    notes.insert(0, f"installed into {folder} in {time.perf_counter() - start:.1f} s")
    marker.write_text(json.dumps({"versions": versions, "notes": notes, "date": datetime.now().isoformat()}))
    return versions, notes


def sde_cli_flag(folder: Path) -> str | None:
    """The ``sde generate`` option that writes JavaScript (``--outformat=js`` or ``--genjs``), or None
    when the CLI is not installed or offers neither."""
    sde = folder / "node_modules" / ".bin" / "sde"
    if not sde.exists():
        return None
    done = subprocess.run([str(sde), "generate", "--help"], capture_output=True, text=True, timeout=60, check=False)
    text = done.stdout + done.stderr
    return "--outformat=js" if "outformat" in text else "--genjs" if "--genjs" in text else None


def generate_sde(setup: Setup, folder: Path) -> tuple[Path, str]:
    """Generate the model's JavaScript (cached by the ``.mdl`` text and the spec).

    Parameters
    ----------
    setup : Setup
        Model (its parameters are the inputs, the KPI the one output).
    folder : Path
        The SDEverywhere cache folder.

    Returns
    -------
    path : Path
        The generated module.
    how : str
        ``sde generate ...`` or ``@sdeverywhere/compile parseAndGenerate``.
    """
    model = setup.model
    spec = {
        "inputVarNames": [model.parameter_table[n].vensim_name for n in setup.names],
        "outputVarNames": [setup.kpi_vensim],
    }
    mdl = Path(model.mdl_file)
    digest = hashlib.sha256(mdl.read_bytes() + json.dumps(spec).encode()).hexdigest()[:16]
    build = folder / "build" / f"{mdl.stem}-{digest}"
    build.mkdir(parents=True, exist_ok=True)
    (build / "spec.json").write_text(json.dumps(spec, indent=2))
    flag = sde_cli_flag(folder)
    if flag:
        command = [str(folder / "node_modules" / ".bin" / "sde"), "generate", flag]
        command += ["--spec", str(build / "spec.json"), "--builddir", str(build), str(mdl)]
        how = f"sde generate {flag}"
    else:
        (folder / "generate.mjs").write_text(GENERATE_JS)
        command = ["node", str(folder / "generate.mjs"), str(mdl), str(build / "spec.json"), str(build), mdl.stem]
        how = "@sdeverywhere/compile parseAndGenerate (as sde generate --outformat=js)"
    target = build / f"{mdl.stem}.js"
    if not target.exists():
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=folder)
        if done.returncode != 0 or not target.exists():
            raise RuntimeError(f"{how}: {node_error(done.stderr or done.stdout)}")
    return target, how


def peer_sde(setup: Setup, args) -> Result:
    """SDEverywhere: generated JavaScript run in node, one run and a measured loop of ``loops`` runs.

    Parameters
    ----------
    setup : Setup
        Model and sample.
    args : argparse.Namespace
        The command line (``sde_dir``).

    Returns
    -------
    Result
    """
    result = Result("SDEverywhere (JS in node)")
    folder = Path(args.sde_dir)
    try:
        versions, result.notes = install_sde(folder)
        result.version = ", ".join(f"{k} {v}" for k, v in versions.items()) + f"; node {node_version()}"
        target, how = generate_sde(setup, folder)
        result.notes.append(f"generated by {how}")
        (folder / "harness.mjs").write_text(HARNESS_JS)
        inputs = folder / "inputs.json"
        rows = setup.samples[: setup.loops].tolist()
        inputs.write_text(json.dumps({"defaults": setup.defaults.tolist(), "rows": rows}))
        command = ["node", str(folder / "harness.mjs"), str(target), str(inputs), str(setup.loops)]
        command += [str(setup.repeat), repr(setup.time)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=3600, check=False, cwd=folder)
        if done.returncode != 0:
            raise RuntimeError(f"harness: {node_error(done.stderr or done.stdout)}")
        m = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as exc:
        result.error = error_of(exc)
        return result
    result.one_run = m["oneRun"]
    result.kpi_default = m["kpiDefault"]
    result.kpis = np.array([np.nan if v is None else v for v in m["kpis"]], dtype=float)
    result.batch = m["loopSeconds"] * setup.runs / m["loops"]
    result.batch_how = f"loop of {m['loops']:,} measured, x{setup.runs / m['loops']:g}"
    return result


def node_version() -> str:
    """``node --version``, or ``?``."""
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except OSError:
        return "?"


# --- report -------------------------------------------------------------------------------------------


def ratio(value: float | None, reference: float | None) -> str:
    """``value / reference`` as ``x0.52``, ``x12.3`` or ``x1,490``, or ``-``."""
    if value is None or not reference:
        return "-"
    r = value / reference
    return f"x{r:.2f}" if r < 1 else f"x{r:.1f}" if r < 100 else f"x{r:,.0f}"


def seconds(value: float) -> str:
    """A duration in ms, s or h, to three figures."""
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s" if value < 1000 else f"{value / 3600:.3g} h"


def rel(value: float | None, reference: float | None) -> float:
    """Relative difference ``|value - reference| / |reference|`` (NaN when either is missing)."""
    if value is None or reference is None:
        return float("nan")
    return abs(value - reference) / max(abs(reference), 1e-300)


def print_timings(results: list[Result], setup: Setup) -> None:
    """The timing table, with ratios to the compiled engine."""
    ref = results[0]
    print(f"\nratio: the peer's time over {ref.peer}'s (above 1: slower)")
    print(f"{'peer':28s} {'one run':>11s} {'ratio':>8s} {f'{setup.runs:,} runs':>12s} {'ratio':>9s}  how")
    for r in results:
        if r.error:
            print(f"{r.peer:28s} FAILED: {r.error}")
            continue
        one, batch = seconds(r.one_run), seconds(r.batch)
        print(
            f"{r.peer:28s} {one:>11s} {ratio(r.one_run, ref.one_run):>8s} "
            f"{batch:>12s} {ratio(r.batch, ref.batch):>9s}  {r.batch_how}"
        )


def varied_agreement(result: Result, ref: Result) -> tuple[str, float]:
    """How far a peer's KPI over the varied runs is from the reference's on the same rows.

    Parameters
    ----------
    result, ref : Result
        The peer and the compiled engine.

    Returns
    -------
    count : str
        Runs compared (and how many gave no value).
    worst : float
        The largest relative difference (NaN when nothing was compared).
    """
    if result.kpis is None or ref.kpis is None:
        return "-", float("nan")
    n = min(len(result.kpis), len(ref.kpis))
    a, b = result.kpis[:n], ref.kpis[:n]
    diffs = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    worst = float(np.nanmax(diffs)) if n and not np.isnan(diffs).all() else float("nan")
    missing = int(np.isnan(a).sum())
    return f"{n:,}" + (f" ({missing} NaN)" if missing else ""), worst


def print_agreement(results: list[Result], setup: Setup) -> None:
    """The agreement table: the KPI at the defaults and over the varied runs, against the compiled engine."""
    ref = results[0]
    print(f"\nKPI {setup.kpi!r} ({setup.kpi_vensim!r}) at {setup.year:g}, relative to {ref.peer}")
    print(f"{'peer':28s} {'at defaults':>14s} {'rel diff':>10s} {'varied runs':>12s} {'max rel diff':>13s}")
    for r in results:
        if r.error or r.kpi_default is None:
            continue
        count, worst = varied_agreement(r, ref)
        at_defaults = rel(r.kpi_default, ref.kpi_default)
        print(f"{r.peer:28s} {r.kpi_default:14.10g} {at_defaults:10.2e} {count:>12s} {worst:13.2e}")


def print_machine() -> None:
    """Date, machine, load average and the Python in use."""
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"date {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {platform.node()} {platform.machine()}")
    print(f"{os.cpu_count()} cores; load average {load}; Python {platform.python_version()}")


def parse_args(argv=None) -> argparse.Namespace:
    """The command line (``--quick`` lowers every repetition for a smoke run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mdl", default=str(MODEL_FILE), help="Vensim model (default: models/relocation.mdl)")
    parser.add_argument("--kpi", help="output compared across peers (default: employment_rate, else a KPI)")
    parser.add_argument("--year", type=float, help="saved time at which the KPI is read (default: the headline year)")
    parser.add_argument("--runs", type=int, default=10_000, help="runs of the batch (default 10,000)")
    parser.add_argument("--loops", type=int, default=2_000, help="runs of the measured pysimlin and SDE loops")
    parser.add_argument("--repeat", type=int, default=30, help="warm runs timed for one run")
    parser.add_argument("--pysd-repeat", type=int, default=7, help="runs timed for PySD (about a second each)")
    parser.add_argument("--batch-repeat", type=int, default=3, help="timed run_batch calls")
    parser.add_argument("--seed", type=int, default=0, help="seed of the Latin hypercube")
    parser.add_argument("--sde-dir", default=str(cache_dir() / "sdeverywhere"), help="SDEverywhere's npm folder")
    parser.add_argument("--skip", default="", help="comma-separated peers to leave out: numpy,pysd,simlin,sde")
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument("--engine-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.loops, args.repeat = min(args.runs, 2_000), min(args.loops, 200), min(args.repeat, 5)
        args.pysd_repeat, args.batch_repeat = min(args.pysd_repeat, 2), 1
    return args


PEERS = {"numpy": engine_numpy, "pysd": peer_pysd, "simlin": peer_simlin, "sde": peer_sde}


def main(argv=None) -> None:
    """Measure every peer and print the tables."""
    args = parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        setup = make_setup(args)
    if args.engine_only:  # the subprocess of engine_numpy
        print(json.dumps(measure_engine(setup, args.batch_repeat)))
        return
    started = time.perf_counter()
    print_machine()
    print(f"model {setup.model.mdl_file}; {len(setup.names)} parameters varied (Latin hypercube, seed {args.seed})")
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    results = [engine_compiled(setup, args)]
    for key, peer in PEERS.items():
        if key not in skip:
            print(f"... {key}", flush=True)
            results.append(peer(setup, args))
    print_timings(results, setup)
    print_agreement(results, setup)
    print("\nversions and notes")
    for r in results:
        print(f"  {r.peer}: {r.version or '?'}" + "".join(f"\n    {note}" for note in r.notes))
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\ntotal {time.perf_counter() - started:.0f} s; load average at the end {load}")


if __name__ == "__main__":
    main()
