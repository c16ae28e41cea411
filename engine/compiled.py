"""The generated Euler loop compiled to machine code with Numba, runs spread over every core.

The NumPy loop of :mod:`engine.codegen` evaluates each equation on arrays of runs, one Python
statement per equation per time step: for one run, nearly all its time is the interpreter's. This
module compiles that same generated loop (not a second model): :mod:`engine.trace` runs it once on
symbols, which gives every saved value and every state's next value as a scalar expression (one
variable per element of a subscripted value), and those expressions become the body of a kernel over
scalars: one run per iteration of a ``numba.prange`` loop, with the constants and initial states
packed into two arrays ``(runs, columns)``. Numba compiles it with LLVM, without fast-math, so each
operation is the IEEE operation NumPy performs on the same values (the exceptions: transcendental
functions such as ``exp`` come from LLVM's math library, not NumPy's, and may differ in the last bit;
a ``SUM`` over elements adds them in order, where NumPy may add pairwise).

The kernel's module is written to the translation cache (:func:`engine.cache.cache_dir`) under the
SHA-256 of its text, checked against that name before it is imported, and Numba caches its machine
code beside it: only the first use after a model change compiles. A loop the trace cannot follow, or
DELAY FIXED, raises :class:`NotCompiled` naming why, and the engine runs the NumPy loop instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import llvm, trace
from .arrays import RUN
from .cache import cache_dir, write_atomic
from .trace import Block, block_size

#: The kernel's type: constants and states ``(runs, k)``, t0, dt, steps, steps per save, out
#: ``(outputs, runs, saves)``; given, so that Numba compiles (and caches) when the module is imported.
SIGNATURE = "void(float64[:, ::1], float64[:, ::1], float64, float64, int64, int64, float64[:, :, ::1])"
#: One run's: its row ``r`` first.
RUN_SIGNATURE = SIGNATURE.replace("void(", "void(int64, ", 1)
#: Fewer runs than this run on the calling thread: waking the pool costs more than it saves.
PARALLEL_MIN = 16
#: Folder (under the translation cache) of the compiled kernels' modules.
KERNELS = "kernels"

_CHECK = re.compile(r"^    if len\(s\['([\w.]+)'\]\) != (\d+): raise NotImplementedError\((.*)\)$")


class NotCompiled(NotImplementedError):
    """A generated loop the compiled path does not cover; the message names what."""


class CompiledFallbackWarning(UserWarning):
    """A model runs in the NumPy loop because the compiled path does not cover it (the message says why)."""


def compiler() -> str:
    """Which compiler writes the kernel: ``"llvm"`` (:mod:`engine.llvm`, the default; a model with an
    operation it has no form for goes to Numba) or ``"numba"`` (``SD_MODEL_COMPILER=numba``)."""
    choice = os.environ.get("SD_MODEL_COMPILER", "llvm")
    if choice not in ("llvm", "numba"):
        raise ValueError(f"SD_MODEL_COMPILER must be 'llvm' or 'numba', got {choice!r}")
    return choice


def use_compiled() -> bool:
    """Whether runs go through the compiled kernel: yes, unless ``SD_MODEL_ENGINE=numpy`` (for comparing
    the two, and for a machine where Numba cannot compile)."""
    choice = os.environ.get("SD_MODEL_ENGINE", "compiled")
    if choice not in ("compiled", "numpy"):
        raise ValueError(f"SD_MODEL_ENGINE must be 'compiled' or 'numpy', got {choice!r}")
    return choice == "compiled"


@dataclass(frozen=True)
class Kernel:
    """A compiled loop and how to fill its arrays.

    Attributes
    ----------
    constants, states : tuple of Block
        The columns of the kernel's constants and states arrays: for each key of the NumPy loop's
        dicts (and the stage of a staged state), one column per element (:data:`engine.trace.Block`).
    checks : tuple of (str, int)
        State key and the number of stages the loop was generated for (PySD may lower a delay's order).
    function, serial : callable
        ``kernel(C, S, t0, dt, steps, per_save, out)``, compiled: the runs spread over the cores, or
        one after the other on the calling thread.
    path : Path
        Where its machine code is kept: the Numba module (Numba's cache beside it), or the LLVM object file.
    backend : str
        ``"llvm"`` (:mod:`engine.llvm`) or ``"numba"``.
    """

    constants: tuple[Block, ...]
    states: tuple[Block, ...]
    checks: tuple[tuple[str, int], ...]
    function: object
    serial: object
    path: Path
    backend: str = "numba"

    def run(self, c: dict, s: dict, t0: float, dt: float, steps: int, per_save: int, out: np.ndarray,
            states: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
        """Run the kernel on the constants ``c`` and states ``s`` of the NumPy loop (or the packed
        ``states`` ``(runs, columns)`` of an earlier run's end), filling ``out``; the states at the end,
        packed (a later round starts from them)."""
        n = out.shape[1]
        for key, length in self.checks:
            if len(s[key]) != length:
                raise NotImplementedError(
                    f"{key}: PySD set its order to {len(s[key])}; the loop was generated for {length}"
                )
        C = _pack(c, self.constants, n)
        S = _pack(s, self.states, n) if states is None else np.array(states, dtype=float, order="C")
        if S.shape != (n, sum(block_size(b) for b in self.states)):
            raise ValueError(f"states of shape {S.shape} for {n} runs of this kernel")
        args = (C, S, float(t0), float(dt), int(steps), int(per_save), out)
        if n < PARALLEL_MIN:
            self.serial(*args)
        elif self.backend == "llvm":  # its own pool of threads, each on its own rows
            self.function(*args)
        else:
            with _launch_lock:  # Numba's workqueue threads run one parallel launch at a time
                self.function(*args)
        return S


def _pack(values: dict, blocks: tuple[Block, ...], n: int) -> np.ndarray:
    """The kernel's ``(n, columns)`` array of the NumPy loop's values: one column per element of each
    block, elements in the order of the block's dimensions; a value the same for every run broadcast."""
    columns = []
    for block in blocks:
        key, stage, dims, _ = block
        value = values[key] if stage is None else values[key][stage]
        if dims:
            order = (*dims, RUN) if RUN in value.dims else tuple(dims)
            data = value.data if value.dims == order else value.transpose(*order).data  # a transpose costs ~0.1 ms
            columns.extend(np.asarray(data, dtype=float).reshape(block_size(block), -1))
        else:
            columns.append(value)
    if n == 1:  # one run: a row of numbers (arrays of one run read as their number)
        try:
            row = np.array(columns, dtype=float)
        except ValueError:  # numbers and arrays of one run mixed
            row = None
        if row is None or row.shape != (len(columns),):
            row = np.array([np.asarray(c, dtype=float).reshape(-1)[0] for c in columns])
        return row[None, :]
    packed = np.empty((len(columns), n))
    for j, column in enumerate(columns):
        packed[j] = column
    return np.ascontiguousarray(packed.T)


def traced_loop(source: str, names: dict, c: dict, s: dict, rows: int) -> tuple[trace.Trace, tuple]:
    """The trace of a generated NumPy loop (:mod:`engine.trace`) and its checks (:class:`Kernel`).

    Parameters
    ----------
    source : str
        The generated NumPy loop.
    names : dict
        The namespace it runs in.
    c, s : dict
        Constants and states as the NumPy loop receives them (only their first run is read, for the
        elements of each value).
    rows : int
        The rows of its ``out``.

    Raises
    ------
    NotCompiled
        For DELAY FIXED, or naming what the trace cannot follow.
    """
    if ".pipe'" in source:
        raise NotCompiled("DELAY FIXED (a pipeline whose length the delay time sets in each run) is not compiled")
    checks = tuple((m[1], int(m[2])) for m in map(_CHECK.match, source.splitlines()) if m)
    try:
        return trace.Trace(source, names, c, s, rows), checks
    except trace.TraceError as err:
        raise NotCompiled(f"a loop the trace cannot follow ({err})") from None


def kernel_source(traced: trace.Trace) -> str:
    """The module text of the Numba kernel of a traced loop: one scalar variable per element of a
    subscripted value."""
    try:
        body, tables = trace.kernel_body(traced)
    except trace.TraceError as err:
        raise NotCompiled(f"a loop the trace cannot follow ({err})") from None
    return _module(tables, body)


def _module(tables: list[str], body: list[str]) -> str:
    """The kernel module's text: lookup tables, helpers, ``run_one`` with ``body``, the two kernels."""
    return "\n".join(
        [
            '"""A compiled Euler loop, generated by engine.compiled from the NumPy loop of one model."""',
            "import numpy as np",
            "from numba import njit, prange",
            "",
            *tables,
            "",
            "",
            HELPERS,
            f"@njit({RUN_SIGNATURE!r}, cache=True, error_model='numpy')",
            "def run_one(r, C, S, t0, dt, steps, per_save, out):",
            "    t = t0",
            *body,
            "",
            "",
            f"@njit({SIGNATURE!r}, cache=True, parallel=True)",
            "def kernel(C, S, t0, dt, steps, per_save, out):",
            "    for r in prange(C.shape[0]):",
            "        run_one(r, C, S, t0, dt, steps, per_save, out)",
            "",
            "",
            f"@njit({SIGNATURE!r}, cache=True)",
            "def kernel_serial(C, S, t0, dt, steps, per_save, out):",
            "    for r in range(C.shape[0]):",
            "        run_one(r, C, S, t0, dt, steps, per_save, out)",
            "",
        ]
    )


#: The kernel module's scalar helpers: NumPy's own rules for one value (NaN first, ties to the first
#: argument; ``interp`` as ``numpy/_core/src/multiarray/compiled_base.c`` computes one point). Not inlined
#: by Numba (``inline="always"`` copies their branches into the kernel's IR, whose SSA pass recurses once a
#: block: a subscripted model of 12 elements and 80 equations passed Python's recursion limit); LLVM
#: inlines them (the same speed, the project's kernel compiles in 4.4 s instead of 6.1 s).
HELPERS = """
@njit(cache=True)
def _minimum(a, b):
    return a if (a <= b or a != a) else b


@njit(cache=True)
def _maximum(a, b):
    return a if (a >= b or a != a) else b


@njit(cache=True)
def _fmin(a, b):
    return b if a != a else (a if (a <= b or b != b) else b)


@njit(cache=True)
def _fmax(a, b):
    return b if a != a else (a if (a >= b or b != b) else b)


@njit(cache=True)
def _nz(a):
    return 0.0 if a != a else a


@njit(cache=True)
def _nz1(a):
    return 1.0 if a != a else a


@njit(cache=True)
def _interp(x, xp, fp):
    n = xp.shape[0]
    if x != x:
        return x
    if x > xp[n - 1]:
        return fp[n - 1]
    if x < xp[0]:
        return fp[0]
    lo, hi = 0, n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    j = hi if xp[hi] <= x else lo
    if j == n - 1 or xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    value = slope * (x - xp[j]) + fp[j]
    if value != value:
        value = slope * (x - xp[j + 1]) + fp[j + 1]
        if value != value and fp[j] == fp[j + 1]:
            value = fp[j]
    return value

"""


_kernels: dict[tuple, Kernel] = {}
_kernels_lock = threading.Lock()
_launch_lock = threading.Lock()


def compile_kernel(source: str, names: dict, c: dict, s: dict, rows: int) -> Kernel:
    """The compiled kernel of a generated NumPy loop: from this process's cache, else from the disk
    cache (machine code kept by hash), else written and compiled now; by LLVM directly
    (:mod:`engine.llvm`) unless :func:`compiler` says Numba or the IR writer has no form for an
    operation of the loop.

    The arguments are :func:`traced_loop`'s.

    Raises
    ------
    NotCompiled
        For a loop the trace does not cover, or one neither compiler can compile (the message names why).
    """
    traced, checks = traced_loop(source, names, c, s, rows)
    columns = (tuple(traced.constants), tuple(traced.states), checks)
    text = _llvm_text(traced) if compiler() == "llvm" else None
    backend = "numba" if text is None else "llvm"
    text = kernel_source(traced) if text is None else text
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    key = (backend, digest, *columns)  # two models may share a kernel's text, not their columns' names
    with _kernels_lock:
        if key not in _kernels:
            if backend == "llvm":
                function = llvm.compile_ir(text)
                _kernels[key] = Kernel(*columns, function, function.serial, function.path, backend)
            else:
                path = _module_file(text, digest)
                module = _import(path, digest)
                _kernels[key] = Kernel(*columns, module.kernel, module.kernel_serial, path, backend)
        return _kernels[key]


def _llvm_text(traced: trace.Trace) -> str | None:
    """The LLVM IR of a trace, or None where the IR writer has no form for one of its operations."""
    try:
        return llvm.module_ir(traced)
    except llvm.Unsupported:
        return None


def _module_file(text: str, digest: str) -> Path:
    """The kernel's module in the cache, written if absent, and checked: its name is the hash of its text."""
    folder = cache_dir() / KERNELS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"kernel_{digest[:32]}.py"
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        write_atomic(path, text.encode("utf-8"))
    return path


def _import(path: Path, digest: str):
    """Import a kernel module after checking that its bytes are the text whose hash names it."""
    import numba

    if "NUMBA_THREADING_LAYER" not in os.environ:
        # Numba's own thread pool: safe in a process forked after a kernel ran (GNU OpenMP is not), and
        # the launch lock makes it safe for the explorer's threads.
        numba.config.THREADING_LAYER = "workqueue"
    if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        raise NotCompiled(f"{path}: changed since it was written; not imported")
    name = f"_sd_model_kernel_{digest[:32]}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Numba's cache locates functions through their module
    try:
        spec.loader.exec_module(module)
    except Exception as err:  # a Numba typing or lowering error: the NumPy loop runs the model
        del sys.modules[name]
        raise NotCompiled(f"Numba cannot compile the loop: {' '.join(str(err).split())[:200]}") from None
    return module
