"""The traced Euler loop written as LLVM IR and compiled by llvmlite, without Numba's typing.

:mod:`engine.trace` gives every saved value and every state's next value of a generated loop as a
graph of scalar operations. :mod:`engine.compiled` writes that graph as Python for Numba, whose typing
and lowering cost grows faster than the kernel (5 s for the project's model, 54 s for a subscripted
model of 12 elements and 84 equations). This module writes the same graph straight into LLVM IR with
``llvmlite`` (Numba's own binding to LLVM): one IEEE operation per node, the same LLVM intrinsics
Numba calls (``llvm.pow``, ``llvm.exp``, ...), NumPy's rules for NaN in minimum and maximum, and the
lookup's interpolation as NumPy computes one point; no fast-math and no fused multiply-add, so the
numbers are those of the Numba kernel and of the NumPy loop.

The runs are spread over the cores by Python threads, each calling the compiled ``run_chunk`` on its
own rows through ``ctypes`` (which releases the GIL). The machine code is kept in the translation
cache under the hash of the IR, the CPU and llvmlite's version: only the first use after a model
change compiles. A node this writer has no form for raises :class:`engine.compiled.NotCompiled`
(the Numba kernel is tried next).
"""

from __future__ import annotations

import ctypes
import hashlib
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import llvmlite
import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir

from .cache import cache_dir, write_atomic
from .trace import Sym, Trace, block_size

DOUBLE = ir.DoubleType()
I64 = ir.IntType(64)
BOOL = ir.IntType(1)
DOUBLE_P = DOUBLE.as_pointer()
#: Folder (under the translation cache) of the compiled object files.
OBJECTS = "llvm"

_CHUNK_ARGS = (I64, I64, DOUBLE_P, DOUBLE_P, DOUBLE, DOUBLE, I64, I64, DOUBLE_P, I64, I64)
_CFUNC = ctypes.CFUNCTYPE(
    None, *(ctypes.c_int64,) * 2, *(ctypes.c_void_p,) * 2, *(ctypes.c_double,) * 2, *(ctypes.c_int64,) * 2,
    ctypes.c_void_p, *(ctypes.c_int64,) * 2,
)  # fmt: skip

#: Comparisons (Python's on floats: ordered, but ``!=`` true for NaN).
_COMPARE = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}
#: NumPy functions and the LLVM intrinsic Numba calls for each (the same libm function underneath).
_INTRINSICS = {
    "exp": "llvm.exp",
    "log": "llvm.log",
    "log10": "llvm.log10",
    "sqrt": "llvm.sqrt",
    "sin": "llvm.sin",
    "cos": "llvm.cos",
    "trunc": "llvm.trunc",
    "floor": "llvm.floor",
    "ceil": "llvm.ceil",
    "abs": "llvm.fabs",
    "rint": "llvm.rint",
}
#: NumPy functions Numba takes from the C library by name (as it does; the same functions as NumPy's).
_EXTERNS = {"log2": "log2", "tan": "tan", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "sinh": "sinh",
            "cosh": "cosh", "tanh": "tanh"}  # fmt: skip


class Unsupported(Exception):
    """A node of the trace this writer has no form for."""


def module_ir(traced: Trace) -> str:
    """The LLVM IR (text) of ``run_chunk(start, stop, C, S, t0, dt, steps, per_save, out, runs, saves)``
    for a trace: runs ``start`` to ``stop`` of the constants ``C`` and states ``S`` (``(runs, columns)``,
    C order), each saving its rows into ``out`` (``(rows, runs, saves)``) as the NumPy loop does.

    Raises
    ------
    Unsupported
        Naming the operation this writer cannot write.
    """
    module = ir.Module(name="sd_model_kernel")
    module.triple = llvm.get_process_triple()
    tables = [_table(module, i, xs, ys) for i, (xs, ys) in enumerate(traced.tables)]
    interp = _interp_function(module) if tables else None
    one = _run_one(module, traced, tables, interp)
    _run_chunk(module, one)
    return str(module)


def _table(module, index: int, xs, ys):
    pair = []
    for name, values in (("x", xs), ("y", ys)):
        kind = ir.ArrayType(DOUBLE, len(values))
        table = ir.GlobalVariable(module, kind, name=f"table{index}_{name}")
        table.global_constant = True
        table.linkage = "internal"
        table.initializer = ir.Constant(kind, [float(v) for v in values])
        pair.append(table)
    return pair[0], pair[1], len(xs)


class _Nodes:
    """The IR value of each node, written once, in creation order, before its first use."""

    def __init__(self, builder: ir.IRBuilder, module: ir.Module, leaves: dict, tables, interp):
        self.b, self.module, self.values, self.tables, self.interp = builder, module, dict(leaves), tables, interp

    def leaf(self, node: Sym):
        key = (node.op, node.args[0]) if node.op in ("C", "S") else (node.op,)
        return self.values[key]

    def ref(self, value):
        if isinstance(value, Sym):
            if value.op in ("C", "S", "t", "dt"):
                return self.leaf(value)
            return self.values[value.id]
        if isinstance(value, (bool, np.bool_, int, float, np.integer, np.floating)):
            return ir.Constant(DOUBLE, float(value))
        raise Unsupported(f"a value of type {type(value).__name__}")

    def write(self, roots, keep) -> None:
        needed: dict[int, Sym] = {}
        stack = [r for r in roots if isinstance(r, Sym)]
        while stack:
            node = stack.pop()
            if node.id in needed or node.id in self.values or node.op in ("C", "S", "t", "dt"):
                continue
            if keep(node):
                needed[node.id] = node
            stack.extend(a for a in node.args if isinstance(a, Sym))
        for i in sorted(needed):
            self.values[i] = self.node(needed[i])

    def truth(self, value):
        """NumPy's truth of a number: non-zero (NaN is true)."""
        return self.b.fcmp_unordered("!=", value, ir.Constant(DOUBLE, 0.0))

    def number(self, flag):
        return self.b.uitofp(flag, DOUBLE)

    def intrinsic(self, name: str, *args):
        function = self.module.declare_intrinsic(name, [DOUBLE])
        return self.b.call(function, args)

    def extern(self, name: str) -> ir.Function:
        if name not in self.module.globals:
            ir.Function(self.module, ir.FunctionType(DOUBLE, [DOUBLE]), name=name)
        return self.module.globals[name]

    def floor_divide_or_modulo(self, op: str, x, y):
        """Python's float ``x % y`` or ``x // y`` as Numba computes it (CPython's ``float_divmod``)."""
        b = self.b
        zero, one = ir.Constant(DOUBLE, 0.0), ir.Constant(DOUBLE, 1.0)
        mod = b.frem(x, y)
        div = b.fdiv(b.fsub(x, mod), y)
        y_negative = b.fcmp_ordered("<", y, zero)
        flip = b.and_(
            b.fcmp_unordered("!=", mod, zero), b.icmp_unsigned("!=", y_negative, b.fcmp_ordered("<", mod, zero))
        )
        by_zero = b.fcmp_ordered("==", y, zero)
        if op == "%":
            signed_zero = b.select(y_negative, ir.Constant(DOUBLE, -0.0), zero)
            mod = b.select(b.fcmp_unordered("!=", mod, zero), b.select(flip, b.fadd(mod, y), mod), signed_zero)
            return b.select(by_zero, b.frem(x, y), mod)
        div = b.select(flip, b.fsub(div, one), div)
        floor = self.intrinsic("llvm.floor", div)
        snapped = b.select(b.fcmp_ordered(">", b.fsub(div, floor), ir.Constant(DOUBLE, 0.5)), b.fadd(floor, one), floor)
        signed = b.fdiv(b.fmul(b.fmul(div, div), x), y)
        quotient = b.select(b.fcmp_ordered("!=", div, zero), snapped, signed)
        return b.select(by_zero, b.fdiv(x, y), quotient)

    def node(self, node: Sym):  # noqa: C901 (one branch an operation)
        b, op = self.b, node.op
        if op == "_interp":
            x = self.ref(node.args[0])
            xs, ys, n = self.tables[node.args[1]]
            zero = ir.Constant(I64, 0)
            return b.call(self.interp, [x, b.gep(xs, [zero, zero]), b.gep(ys, [zero, zero]), ir.Constant(I64, n)])
        args = [self.ref(a) for a in node.args]
        if op == "+":
            return b.fadd(*args)
        if op == "-":
            return b.fsub(*args)
        if op == "*":
            return b.fmul(*args)
        if op == "/":
            return b.fdiv(*args)
        if op == "**":
            return self.intrinsic("llvm.pow", *args)
        if op == "neg":
            return b.fneg(args[0])
        if op == "pos":
            return args[0]
        if op in _COMPARE:
            if op == "!=":
                return self.number(b.fcmp_unordered("!=", *args))
            return self.number(b.fcmp_ordered(op, *args))
        if op in _INTRINSICS:
            return self.intrinsic(_INTRINSICS[op], *args)
        if op in _EXTERNS:
            return b.call(self.extern(_EXTERNS[op]), args)
        if op == "conjugate":
            return args[0]
        if op in ("%", "//"):
            return self.floor_divide_or_modulo(op, *args)
        if op == "_where":
            return b.select(self.truth(args[0]), args[1], args[2])
        if op in ("_minimum", "_maximum"):
            a, c = args
            first = b.or_(b.fcmp_ordered("<=" if op == "_minimum" else ">=", a, c), b.fcmp_unordered("!=", a, a))
            return b.select(first, a, c)
        if op in ("_fmin", "_fmax"):
            a, c = args
            first = b.or_(b.fcmp_ordered("<=" if op == "_fmin" else ">=", a, c), b.fcmp_unordered("!=", c, c))
            return b.select(b.fcmp_unordered("!=", a, a), c, b.select(first, a, c))
        if op in ("_nz", "_nz1"):
            fill = ir.Constant(DOUBLE, 0.0 if op == "_nz" else 1.0)
            return b.select(b.fcmp_unordered("!=", args[0], args[0]), fill, args[0])
        if op in ("land", "lor", "lxor", "&", "|", "^"):  # NumPy's & | ^ of booleans (comparisons) in the loop
            combine = {"land": b.and_, "lor": b.or_, "lxor": b.xor, "&": b.and_, "|": b.or_, "^": b.xor}[op]
            return self.number(combine(self.truth(args[0]), self.truth(args[1])))
        if op in ("lnot", "invert"):
            return self.number(b.fcmp_ordered("==", args[0], ir.Constant(DOUBLE, 0.0)))
        raise Unsupported(f"no LLVM form for {op!r}")


def _run_one(module, traced: Trace, tables, interp) -> ir.Function:
    """``run_one(r, C, S, t0, dt, steps, per_save, out, runs, saves)``: one run, as the Numba kernel's."""
    kind = ir.FunctionType(ir.VoidType(), [I64, DOUBLE_P, DOUBLE_P, DOUBLE, DOUBLE, I64, I64, DOUBLE_P, I64, I64])
    function = ir.Function(module, kind, name="run_one")
    function.linkage = "internal"
    r, C, S, t0, dt, steps, per_save, out, runs, saves = function.args
    n_c = sum(block_size(block) for block in traced.constants)
    n_s = sum(block_size(block) for block in traced.states)
    b = ir.IRBuilder(function.append_basic_block("entry"))
    leaves = {("dt",): dt}
    row_c, row_s = b.mul(r, ir.Constant(I64, n_c)), b.mul(r, ir.Constant(I64, n_s))
    for j in range(n_c):
        leaves[("C", j)] = b.load(b.gep(C, [b.add(row_c, ir.Constant(I64, j))]))
    slots = []
    for j in range(n_s):
        slot = b.alloca(DOUBLE)
        b.store(b.load(b.gep(S, [b.add(row_s, ir.Constant(I64, j))])), slot)
        slots.append(slot)
    t_slot, step_slot, save_slot = b.alloca(DOUBLE), b.alloca(I64), b.alloca(I64)
    b.store(t0, t_slot)
    b.store(ir.Constant(I64, 0), step_slot)
    b.store(ir.Constant(I64, 0), save_slot)
    nodes = _Nodes(b, module, leaves, tables, interp)
    roots = list(traced.saved) + list(traced.updates.values())
    nodes.write(roots, lambda node: not node.variant)  # what does not change within a run, before the loop
    loop, save, after, update, done = (
        function.append_basic_block(n) for n in ("loop", "save", "after", "update", "done")
    )
    b.branch(loop)

    b.position_at_end(loop)
    step, t = b.load(step_slot), b.load(t_slot)
    nodes.values[("t",)] = t
    for j, slot in enumerate(slots):
        nodes.values[("S", j)] = b.load(slot)
    nodes.write(traced.saved, lambda node: True)
    b.cbranch(b.icmp_signed("==", b.srem(step, per_save), ir.Constant(I64, 0)), save, after)

    b.position_at_end(save)
    k = b.load(save_slot)
    for row, value in enumerate(traced.saved):
        at = b.add(b.mul(b.add(b.mul(ir.Constant(I64, row), runs), r), saves), k)
        b.store(nodes.ref(value), b.gep(out, [at]))
    b.store(b.add(k, ir.Constant(I64, 1)), save_slot)
    b.branch(after)

    b.position_at_end(after)
    b.cbranch(b.icmp_signed("==", step, steps), done, update)

    b.position_at_end(update)
    nodes.write(list(traced.updates.values()), lambda node: True)
    new = {j: nodes.ref(v) for j, v in traced.updates.items()}
    for j, value in new.items():
        b.store(value, slots[j])
    b.store(b.fadd(t, dt), t_slot)
    b.store(b.add(step, ir.Constant(I64, 1)), step_slot)
    b.branch(loop)

    b.position_at_end(done)  # the final states, written back: a later round (Model.run_rounds) starts from them
    for j in traced.updates:
        b.store(b.load(slots[j]), b.gep(S, [b.add(row_s, ir.Constant(I64, j))]))
    b.ret_void()
    return function


def _run_chunk(module, one: ir.Function) -> None:
    """``run_chunk(start, stop, C, S, t0, dt, steps, per_save, out, runs, saves)``: ``run_one`` for each row."""
    function = ir.Function(module, ir.FunctionType(ir.VoidType(), _CHUNK_ARGS), name="run_chunk")
    start, stop, *rest = function.args
    b = ir.IRBuilder(function.append_basic_block("entry"))
    slot = b.alloca(I64)
    b.store(start, slot)
    check, body, done = (function.append_basic_block(n) for n in ("check", "body", "done"))
    b.branch(check)
    b.position_at_end(check)
    r = b.load(slot)
    b.cbranch(b.icmp_signed("<", r, stop), body, done)
    b.position_at_end(body)
    b.call(one, [r, *rest])
    b.store(b.add(r, ir.Constant(I64, 1)), slot)
    b.branch(check)
    b.position_at_end(done)
    b.ret_void()


def _interp_function(module) -> ir.Function:
    """``interp(x, xp, fp, n)``: ``numpy.interp`` of one point, as ``compiled_base.c`` computes it."""
    kind = ir.FunctionType(DOUBLE, [DOUBLE, DOUBLE_P, DOUBLE_P, I64])
    function = ir.Function(module, kind, name="interp")
    function.linkage = "internal"
    x, xp, fp, n = function.args
    blocks = {
        name: function.append_basic_block(name)
        for name in ("entry", "nan", "high", "low", "search", "bisect", "found", "exact", "line", "retry", "end")
    }  # fmt: skip
    b = ir.IRBuilder(blocks["entry"])
    one, zero = ir.Constant(I64, 1), ir.Constant(I64, 0)
    last = b.sub(n, one)

    def at(array, index):
        return b.load(b.gep(array, [index]))

    lo_slot, hi_slot = b.alloca(I64), b.alloca(I64)
    b.cbranch(b.fcmp_unordered("uno", x, x), blocks["nan"], blocks["high"])
    b.position_at_end(blocks["nan"])
    b.ret(x)
    b.position_at_end(blocks["high"])
    above = b.fcmp_ordered(">", x, at(xp, last))
    with b.if_then(above):
        b.ret(at(fp, last))
    b.branch(blocks["low"])
    b.position_at_end(blocks["low"])
    below = b.fcmp_ordered("<", x, at(xp, zero))
    with b.if_then(below):
        b.ret(at(fp, zero))
    b.store(zero, lo_slot)
    b.store(last, hi_slot)
    b.branch(blocks["search"])

    b.position_at_end(blocks["search"])  # while hi - lo > 1
    lo, hi = b.load(lo_slot), b.load(hi_slot)
    b.cbranch(b.icmp_signed(">", b.sub(hi, lo), one), blocks["bisect"], blocks["found"])
    b.position_at_end(blocks["bisect"])
    mid = b.sdiv(b.add(lo, hi), ir.Constant(I64, 2))
    go_up = b.fcmp_ordered("<=", at(xp, mid), x)
    b.store(b.select(go_up, mid, lo), lo_slot)
    b.store(b.select(go_up, hi, mid), hi_slot)
    b.branch(blocks["search"])

    b.position_at_end(blocks["found"])
    j = b.select(b.fcmp_ordered("<=", at(xp, hi), x), hi, lo)
    fj = at(fp, j)
    end_or_exact = b.or_(b.icmp_signed("==", j, last), b.fcmp_ordered("==", at(xp, j), x))
    b.cbranch(end_or_exact, blocks["exact"], blocks["line"])
    b.position_at_end(blocks["exact"])
    b.ret(fj)

    b.position_at_end(blocks["line"])
    j1 = b.add(j, one)
    xj, xj1, fj1 = at(xp, j), at(xp, j1), at(fp, j1)
    slope = b.fdiv(b.fsub(fj1, fj), b.fsub(xj1, xj))
    value = b.fadd(b.fmul(slope, b.fsub(x, xj)), fj)
    b.cbranch(b.fcmp_unordered("uno", value, value), blocks["retry"], blocks["end"])
    b.position_at_end(blocks["retry"])
    again = b.fadd(b.fmul(slope, b.fsub(x, xj1)), fj1)
    flat = b.and_(b.fcmp_unordered("uno", again, again), b.fcmp_ordered("==", fj, fj1))
    b.ret(b.select(flat, fj, again))
    b.position_at_end(blocks["end"])
    b.ret(value)
    return function


# --- compiling and calling --------------------------------------------------------------------------

_init_lock = threading.Lock()
_initialised = False


def _target_machine():
    """A new target machine for this CPU (an execution engine owns the one it is given, and frees it)."""
    global _initialised
    with _init_lock:
        if not _initialised:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            _initialised = True
    features = llvm.get_host_cpu_features().flatten()
    return llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=features, opt=3, codemodel="jitdefault"
    )


class Compiled:
    """A compiled ``run_chunk`` and the engine that owns its machine code.

    Calling it runs every row of ``C`` in chunks on a pool of threads (one a core); :meth:`serial` runs
    them on the calling thread (:class:`engine.compiled.Kernel` chooses). The signature is the Numba
    kernel's ``(C, S, t0, dt, steps, per_save, out)``.
    """

    def __init__(self, engine, address: int, path: Path):
        self._engine = engine  # keeps the machine code alive
        self._function = _CFUNC(address)
        self.path = path

    def _call(self, start, stop, C, S, t0, dt, steps, per_save, out):
        self._function(start, stop, C.ctypes.data, S.ctypes.data, t0, dt, steps, per_save, out.ctypes.data,
                       out.shape[1], out.shape[2])  # fmt: skip

    def serial(self, C, S, t0, dt, steps, per_save, out) -> None:
        """Every run on the calling thread."""
        _check(C, S, out)
        self._call(0, C.shape[0], C, S, t0, dt, steps, per_save, out)

    def __call__(self, C, S, t0, dt, steps, per_save, out) -> None:
        _check(C, S, out)
        edges = np.linspace(0, C.shape[0], 4 * WORKERS + 1).astype(int)  # a few chunks a core: the slow ones even out
        futures = [
            _pool().submit(self._call, int(a), int(z), C, S, t0, dt, steps, per_save, out)
            for a, z in itertools.pairwise(edges)
            if z > a
        ]
        for future in futures:
            future.result()


def _check(C, S, out) -> None:
    for name, array in (("C", C), ("S", S), ("out", out)):
        if array.dtype != np.float64 or not array.flags.c_contiguous:
            raise TypeError(f"{name}: the kernel takes C-contiguous float64 arrays")
    if C.shape[0] != S.shape[0] or out.shape[1] != C.shape[0]:
        raise ValueError("C, S and out disagree on the number of runs")


#: Threads running chunks of a batch: one a core.
WORKERS = os.cpu_count() or 1
_pool_instance: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _pool_instance
    with _init_lock:
        if _pool_instance is None:
            _pool_instance = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sd_model_llvm")
        return _pool_instance


def _forget_pool() -> None:
    """In a forked child: the parent's threads do not exist there; a new pool starts on first use."""
    global _pool_instance, _init_lock
    _pool_instance, _init_lock = None, threading.Lock()


os.register_at_fork(after_in_child=_forget_pool)


def compile_ir(text: str) -> Compiled:
    """Machine code of a kernel's IR: from the object file in the cache, else compiled now and kept.

    Raises
    ------
    RuntimeError
        If LLVM refuses the IR (a bug of this writer: the message says where).
    """
    machine = _target_machine()
    digest = hashlib.sha256(
        "\n".join(
            [text, llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(), llvmlite.__version__]
        ).encode("utf-8")
    ).hexdigest()
    path = _object_path(digest)
    module = llvm.parse_assembly(text)
    cached = _read_object(path)
    if cached is None:
        module.verify()
        _optimise(module, machine)
    engine = llvm.create_mcjit_compiler(module, machine)

    def notify(_module, data: bytes) -> None:
        if cached is None:
            _write_object(path, data)

    engine.set_object_cache(notify, lambda _module: cached)
    engine.finalize_object()
    return Compiled(engine, engine.get_function_address("run_chunk"), path)


def _optimise(module, machine) -> None:
    options = llvm.create_pipeline_tuning_options(speed_level=3)
    builder = llvm.create_pass_builder(machine, options)
    builder.getModulePassManager().run(module, builder)


def _object_path(digest: str) -> Path:
    folder = cache_dir() / OBJECTS
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"kernel_{digest[:32]}.o"


def _read_object(path: Path) -> bytes | None:
    """The cached object file, if present and whole (its hash is kept beside it)."""
    check = path.with_suffix(".sha256")
    if not (path.is_file() and check.is_file()):
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != check.read_text().strip():
        return None
    return data


def _write_object(path: Path, data: bytes) -> None:
    write_atomic(path, data)
    write_atomic(path.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())
