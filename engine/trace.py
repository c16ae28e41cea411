"""The generated loop traced into scalar code: one variable per value, and per element of a subscripted one.

The NumPy loop computes on arrays of runs, and in a subscripted model with :class:`xarray.DataArray`
values (PySD's own expressions: arithmetic by dimension name, ``SUM`` over a dimension, ``.loc``
selections, subscript mappings). Numba cannot compile xarray, so the compiled path does not translate
those expressions: it *runs* the generated loop once, on values whose elements are symbols
(:class:`Sym`), every constant and state element a leaf. Each operation xarray and NumPy carry out
element by element then records one node, so one pass through the loop yields, for every saved output
element and every state element, the scalar expression that computes it, with xarray's broadcasting,
selection and reduction already resolved. :func:`kernel_body` writes those expressions as the body of
the compiled kernel (:mod:`engine.compiled`).

The nodes keep the NumPy loop's operations and their order (``a + b + c`` stays ``(a + b) + c``; a
``SUM`` adds its elements one after the other, as NumPy adds the rows of a ``run``-last array; NaN is
skipped there, as xarray skips it), so the kernel's numbers are the NumPy loop's. Work that does not
change within a run (a node of constants only) is computed once before the time loop, and a node the
loop computes twice is computed once. A value-dependent Python branch, or anything else the symbols
cannot follow, raises :class:`TraceError`: the model then runs in the NumPy loop.
"""

from __future__ import annotations

import ast
import itertools
import math
import numbers
import operator
import re
import threading
import types

import numpy as np
import xarray as xr

from . import arrays


class TraceError(Exception):
    """The generated loop does something the symbols cannot follow; the message says what."""


class Sym:
    """One scalar value of the traced loop: a leaf (a constant or state element, ``t``, ``dt``) or an
    operation on other values. Python's and NumPy's element-wise operations on it record nodes."""

    __slots__ = ("args", "id", "op", "variant")
    __hash__ = object.__hash__

    def __init__(self, op: str, args: tuple, variant: bool, ident: int):
        self.op, self.args, self.variant, self.id = op, args, variant, ident

    def __bool__(self):
        raise TraceError("a Python branch on a computed value (the loop's structure would change between runs)")

    def __float__(self):
        raise TraceError("float() of a computed value")

    __int__ = __index__ = __float__


def _binary(op: str):
    def forward(self, other):
        return _node(op, self, other) if _operand(other) else NotImplemented

    def reflected(self, other):
        return _node(op, other, self) if _operand(other) else NotImplemented

    return forward, reflected


for _op, _name in [("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("//", "floordiv"), ("%", "mod"),
                   ("**", "pow"), ("&", "and"), ("|", "or"), ("^", "xor")]:  # fmt: skip
    _forward, _reflected = _binary(_op)
    setattr(Sym, f"__{_name}__", _forward)
    setattr(Sym, f"__r{_name}__", _reflected)
for _op, _name in [("<", "lt"), ("<=", "le"), (">", "gt"), (">=", "ge"), ("==", "eq"), ("!=", "ne")]:
    setattr(Sym, f"__{_name}__", _binary(_op)[0])
for _name in ("neg", "pos", "abs", "invert", "trunc", "floor", "ceil"):
    setattr(Sym, f"__{_name}__", lambda self, _n=_name: _node(_n, self))
#: NumPy's element-wise functions on object arrays call the element's method of the same name.
FUNCTIONS = ("exp", "log", "log10", "log2", "sqrt", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh",
             "cosh", "tanh", "trunc", "floor", "ceil", "rint", "conjugate")  # fmt: skip
for _name in FUNCTIONS:
    setattr(Sym, _name, lambda self, _n=_name: _node(_n, self))


def _operand(value) -> bool:
    return isinstance(value, (Sym, numbers.Number, np.bool_))


class _Context:
    """The nodes of one trace: numbered in creation order, identical operations shared."""

    def __init__(self):
        self.count = itertools.count()
        self.nodes: dict[tuple, Sym] = {}
        self.loop = False  # False while the lines before the time loop run
        self.tables: list[tuple[np.ndarray, np.ndarray]] = []


_context: _Context | None = None
_trace_lock = threading.Lock()


def _key(value):
    return ("n", value.id) if isinstance(value, Sym) else (type(value).__name__, repr(value))


def _node(op: str, *args) -> Sym:
    ctx = _context
    variant = ctx.loop and any(isinstance(a, Sym) and (a.variant or a.op in ("S", "t")) for a in args)
    key = (op, tuple(_key(a) for a in args), variant)
    if key not in ctx.nodes:
        ctx.nodes[key] = Sym(op, args, variant, next(ctx.count))
    return ctx.nodes[key]


def _leaf(op: str, index) -> Sym:
    return Sym(op, (index,), False, next(_context.count))


def _ufunc(op: str, nin: int, real):
    """An element-wise function recording ``op`` where an argument is a symbol (``real`` otherwise)."""

    def element(*args):
        return _node(op, *args) if any(isinstance(a, Sym) for a in args) else real(*args)

    ufunc = np.frompyfunc(element, nin, 1)

    def call(*args):
        if any(isinstance(a, xr.DataArray) for a in args):  # xarray takes a symbol as a 0-d array only
            args = [np.array(a, dtype=object) if isinstance(a, Sym) else a for a in args]
        return ufunc(*args)

    return call


_sym_minimum = _ufunc("_minimum", 2, np.minimum)
_sym_maximum = _ufunc("_maximum", 2, np.maximum)
_where = _ufunc("_where", 3, lambda c, a, b: a if c else b)
_nz = _ufunc("_nz", 1, lambda a: 0.0 if a != a else a)
_nz1 = _ufunc("_nz1", 1, lambda a: 1.0 if a != a else a)
_add = _ufunc("+", 2, lambda a, b: a + b)
_mul = _ufunc("*", 2, lambda a, b: a * b)
_nanmin = _ufunc("_fmin", 2, np.fmin)  # xarray's min and max skip NaN as NumPy's fmin and fmax do
_nanmax = _ufunc("_fmax", 2, np.fmax)


#: NumPy's logical functions: truth as NumPy takes it (non-zero, NaN true), as comparisons with zero.
_LOGICAL = {
    "logical_and": _ufunc("land", 2, np.logical_and),
    "logical_or": _ufunc("lor", 2, np.logical_or),
    "logical_xor": _ufunc("lxor", 2, np.logical_xor),
    "logical_not": _ufunc("lnot", 1, np.logical_not),
}


def _data_array(*args, **kwargs):
    """``xr.DataArray`` holding objects: an array PySD fills element by element (``.loc[...] = x``)
    then takes symbols."""
    value = arrays.data_array(*args, **kwargs)
    return value.astype(object) if isinstance(value, xr.DataArray) and value.dtype != object else value


def _reduce(clean, combine, x, dim=None):
    """PySD's ``SUM``/``PROD``/``VMIN``/``VMAX`` of ``x`` over ``dim`` (all dimensions if None):
    NaN skipped as xarray skips it, the elements combined one after the other in C order."""
    if not isinstance(x, xr.DataArray):
        return x
    over = [d for d in x.dims if d != arrays.RUN and (dim is None or d in dim)]
    keep = [d for d in x.dims if d not in over]
    data = clean(x.transpose(*keep, *over).values)
    data = np.asarray(data, dtype=object).reshape((*data.shape[: len(keep)], -1))
    result = np.empty(data.shape[:-1], dtype=object)
    for index in np.ndindex(result.shape):
        values = data[index]
        acc = values[0]
        for value in values[1:]:
            acc = combine(acc, value)
        result[index] = acc
    if not keep:
        return result[()]
    return xr.DataArray(result, {d: x[d].values for d in keep}, keep)


def _interp(x, xs, ys):
    """A lookup: its table kept for the kernel, a node per element."""
    if any(isinstance(v, (xr.DataArray, Sym)) for v in (xs, ys)):
        raise TraceError("a lookup whose table differs by element")
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    tables = _context.tables
    index = next((i for i, (a, b) in enumerate(tables) if np.array_equal(a, xs) and np.array_equal(b, ys)), None)
    if index is None:
        tables.append((xs, ys))
        index = len(tables) - 1
    lookup = np.frompyfunc(lambda v: _node("_interp", v, index) if isinstance(v, Sym) else np.interp(v, xs, ys), 1, 1)
    return lookup(x)


#: Comparisons as element-wise functions: NumPy compares object arrays into booleans (asking each
#: symbol for its truth), these record a node per element instead.
COMPARISONS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_REAL = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
_COMPARE = {op: _ufunc(op, 2, real) for op, real in _REAL.items()}


class _Comparisons(ast.NodeTransformer):
    """``a < b`` -> ``_compare['<'](a, b)`` (a chain ``a < b < c`` -> the two joined with ``&``)."""

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) not in COMPARISONS:
                raise TraceError(f"a comparison {type(op).__name__}")
            key = ast.Subscript(ast.Name("_compare", ast.Load()), ast.Constant(COMPARISONS[type(op)]), ast.Load())
            parts.append(ast.Call(key, [left, right], []))
            left = right
        result = parts[0]
        for part in parts[1:]:
            result = ast.BinOp(result, ast.BitAnd(), part)
        return result


def namespace(names: dict) -> dict:
    """The generated loop's names with symbolic forms of what cannot run on symbols as written."""
    numpy = types.SimpleNamespace(**{name: getattr(np, name) for name in dir(np) if not name.startswith("__")})
    numpy.minimum, numpy.maximum, numpy.where, numpy.interp = _sym_minimum, _sym_maximum, _where, _interp
    for name, function in _LOGICAL.items():
        setattr(numpy, name, function)
    xarray = types.SimpleNamespace(**vars(names["xr"])) if "xr" in names else None
    if xarray is not None:
        xarray.DataArray = _data_array
    return names | {
        "np": numpy,
        **({"xr": xarray} if xarray is not None else {}),
        "_where": _where,
        "_interp": _interp,
        "sum": lambda x, dim=None: _reduce(_nz, _add, x, dim),
        "prod": lambda x, dim=None: _reduce(_nz1, _mul, x, dim),
        "vmin": lambda x, dim=None: _reduce(lambda a: a, _nanmin, x, dim),
        "vmax": lambda x, dim=None: _reduce(lambda a: a, _nanmax, x, dim),
        "_phase_loop": lambda: setattr(_context, "loop", True),
        "_compare": _COMPARE,
    }


class _Out:
    """The ``out`` array of the traced pass: records the value saved in each row."""

    def __init__(self, rows: int):
        self.shape = (rows, 1, 1)
        self.rows: dict[int, object] = {}

    def __setitem__(self, index, value):
        rows = index[0]
        rows = range(rows.start, rows.stop) if isinstance(rows, slice) else [rows]
        values = np.asarray(getattr(value, "values", value), dtype=object).reshape(-1)
        if values.size == 1:
            values = np.repeat(values, len(rows))
        for row, item in zip(rows, values, strict=True):
            self.rows[row] = item


#: A block of columns of the kernel's constants or states array: the key of the NumPy loop's dict, the
#: stage (of a staged state) or None, the dimensions of its elements and their lengths (``()``, ``()``
#: for a scalar), elements in C order.
Block = tuple[str, "int | None", tuple[str, ...], tuple[int, ...]]

_STATE_LINE = re.compile(r"^    (\w+) = (?:_last\()?s\['([\w.]+)'\](?:\[(\d+)\])?(?:, .*\))?$")
_STAGE = re.compile(r"s\['([\w.]+)'\]\[\d+\]")
LOOP_LINE = "    for step in range(steps + 1):"


def one_run(value, staged: bool = False):
    """The first run's value of a constant or state (its ``run`` dimension, or run axis, dropped); a
    ``staged`` state (a delay's or smooth's stages, the first axis of an array) as a list of stages."""
    if isinstance(value, list) or staged:
        return [one_run(v) for v in value]
    if isinstance(value, xr.DataArray):
        return value.isel({arrays.RUN: 0}) if arrays.RUN in value.dims else value
    if np.ndim(value):
        return float(np.asarray(value).reshape(-1)[0])
    return value


class Trace:
    """The traced loop: leaves, the nodes of each saved row and each updated state, the lookup tables.

    Parameters
    ----------
    source : str
        The generated NumPy loop.
    names : dict
        The namespace the NumPy loop runs in.
    c, s : dict
        Constants and states as the NumPy loop receives them; only their first run is read
        (:func:`one_run`), for the elements of each value.
    rows : int
        Rows of the loop's ``out``.
    """

    def __init__(self, source: str, names: dict, c: dict, s: dict, rows: int):
        if LOOP_LINE not in source:
            raise TraceError("not a generated Euler loop")
        staged = set(_STAGE.findall(source))  # states read stage by stage: s['key'][0], ...
        c = {key: one_run(value) for key, value in c.items()}
        s = {key: one_run(value, key in staged) for key, value in s.items()}
        with _trace_lock:  # the nodes of one trace at a time (the explorer's threads may start two)
            self._trace(source, names, c, s, rows)

    def _trace(self, source: str, names: dict, c: dict, s: dict, rows: int):
        global _context
        self.constants: list[Block] = []
        self.states: list[Block] = []
        _context = self.context = _Context()
        try:
            symbolic_c = {key: self._leaves("C", key, None, value, self.constants) for key, value in c.items()}
            symbolic_s = {}
            for key, value in s.items():
                if isinstance(value, list):
                    symbolic_s[key] = [self._leaves("S", key, i, v, self.states) for i, v in enumerate(value)]
                else:
                    symbolic_s[key] = self._leaves("S", key, None, value, self.states)
            self.t, self.dt = _leaf("t", 0), _leaf("dt", 0)
            text = source.replace(LOOP_LINE, "    _phase_loop()\n    for step in range(1):") + "\n    return locals()\n"
            scope = namespace(names)
            tree = ast.fix_missing_locations(_Comparisons().visit(ast.parse(text)))
            exec(compile(tree, "<traced loop>", "exec"), scope)  # the engine's own generated text
            out = _Out(rows)
            final = scope["euler_loop"](symbolic_c, symbolic_s, self.t, self.dt, 1, 1, out)
        except TraceError:
            raise
        except Exception as err:  # xarray or NumPy refusing a symbol: the loop cannot be traced
            raise TraceError(f"{type(err).__name__}: {' '.join(str(err).split())[:160]}") from None
        finally:
            _context = None
        if sorted(out.rows) != list(range(rows)):
            raise TraceError("the loop does not save every row")
        self.saved = [out.rows[row] for row in range(rows)]
        self.updates = self._updates(source, final, symbolic_s)
        self.tables = self.context.tables

    def _leaves(self, op, key, stage, value, blocks):
        first = sum(block_size(v) for v in blocks)
        if isinstance(value, xr.DataArray):
            dims = tuple(value.dims)
            data = np.empty(value.shape, dtype=object)
            for offset, index in enumerate(np.ndindex(value.shape)):
                data[index] = _leaf(op, first + offset)
            blocks.append((key, stage, dims, value.shape))
            return xr.DataArray(data, {d: value[d].values for d in dims}, dims)
        if np.ndim(value):
            raise TraceError(f"{key}: an array without dimension names")
        blocks.append((key, stage, (), ()))
        return _leaf(op, first)

    def _updates(self, source: str, final: dict, symbolic_s: dict) -> dict[int, object]:
        """State column -> its value after one step (only the columns that change)."""
        updates = {}
        for line in source.split(LOOP_LINE)[0].splitlines():
            match = _STATE_LINE.match(line)
            if not match:
                continue
            local, key, stage = match[1], match[2], None if match[3] is None else int(match[3])
            before = symbolic_s[key] if stage is None else symbolic_s[key][stage]
            after = final[local]
            for leaf, value in zip(_elements(before), _elements(after, like=before), strict=True):
                if value is not leaf:
                    updates[leaf.args[0]] = value
        return updates


def block_size(block: Block) -> int:
    """The number of columns (elements) of a block."""
    return math.prod(block[3]) if block[3] else 1


def _elements(value, like=None) -> list:
    """The elements of ``value`` in the order of the leaves of ``like`` (its dimensions)."""
    if isinstance(like, xr.DataArray):
        if isinstance(value, xr.DataArray):
            value = value.reset_coords(drop=True)
            if arrays.RUN in value.dims:
                value = value.isel({arrays.RUN: 0})
            value = value.broadcast_like(like).transpose(*like.dims)
            return list(np.asarray(value.values, dtype=object).reshape(-1))
        return [value] * like.size
    if isinstance(value, xr.DataArray):
        if like is None:
            return list(np.asarray(value.values, dtype=object).reshape(-1))
        value = value.values.reshape(-1)
        if value.size != 1:
            raise TraceError("a scalar state updated with an array")
        return [value[0]]
    return [value]


# --- the kernel's text ------------------------------------------------------------------------------

_INFIX = {"+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<", "<=", ">", ">=", "==", "!="}
_PREFIX = {"neg": "-", "pos": "+", "invert": "not "}
_CALLS = {"abs": "abs", "_minimum": "_minimum", "_maximum": "_maximum", "_fmin": "_fmin", "_fmax": "_fmax",
          "_nz": "_nz", "_nz1": "_nz1"} | {f: f"np.{f}" for f in FUNCTIONS}  # fmt: skip


_LOGICAL_FORMS = {
    "land": "(({} != 0) & ({} != 0))",
    "lor": "(({} != 0) | ({} != 0))",
    "lxor": "(({} != 0) ^ ({} != 0))",
    "lnot": "({} == 0)",
}


def literal(value) -> str:
    """Python text of a number, exactly (``repr`` of a float round-trips)."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, numbers.Integral):
        return repr(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if math.isnan(value):
            return "np.nan"
        if math.isinf(value):
            return "np.inf" if value > 0 else "(-np.inf)"
        return repr(value)
    raise TraceError(f"a value of type {type(value).__name__} in the loop")


class _Writer:
    """Names and text of the nodes, each written once, before its first use."""

    def __init__(self):
        self.written: set[int] = set()

    def ref(self, value) -> str:
        if not isinstance(value, Sym):
            return literal(value)
        if value.op == "C":
            return f"_c{value.args[0]}"
        if value.op == "S":
            return f"_s{value.args[0]}"
        if value.op in ("t", "dt"):
            return value.op
        return f"_v{value.id}"

    def expression(self, node: Sym) -> str:
        op, args = node.op, [self.ref(a) for a in node.args]
        if op == "**" and isinstance(node.args[1], numbers.Integral) and not isinstance(node.args[1], bool):
            args[1] = literal(float(node.args[1]))  # NumPy's power is C's pow(); Numba's float ** int is not
        if op in _INFIX:
            return f"({args[0]} {op} {args[1]})"
        if op in _PREFIX:
            return f"({_PREFIX[op]}{args[0]})"
        if op in _LOGICAL_FORMS:
            return _LOGICAL_FORMS[op].format(*args)
        if op == "_where":
            return f"({args[1]} if {args[0]} else {args[2]})"
        if op == "_interp":
            return f"_interp({args[0]}, _tx{node.args[1]}, _ty{node.args[1]})"
        if op in _CALLS:
            return f"{_CALLS[op]}({', '.join(args)})"
        raise TraceError(f"no scalar form for {op!r}")

    def lines(self, roots, indent: str, keep) -> list[str]:
        """Lines computing every node ``roots`` need (those ``keep`` accepts), in creation order."""
        needed: dict[int, Sym] = {}
        seen: set[int] = set()
        stack = [r for r in roots if isinstance(r, Sym)]
        while stack:
            node = stack.pop()
            if node.id in seen or node.id in self.written or node.op in ("C", "S", "t", "dt"):
                continue
            seen.add(node.id)
            if keep(node):
                needed[node.id] = node
            stack.extend(a for a in node.args if isinstance(a, Sym))
        self.written |= set(needed)
        return [f"{indent}_v{i} = {self.expression(needed[i])}" for i in sorted(needed)]


def kernel_body(trace: Trace) -> tuple[list[str], list[str]]:
    """The lines of ``run_one`` (after ``t = t0``) and the module-level lookup tables of a trace."""
    writer = _Writer()
    roots = list(trace.saved) + list(trace.updates.values())
    prelude = writer.lines(roots, "    ", lambda node: not node.variant)
    constants = sum(block_size(b) for b in trace.constants)
    states = sum(block_size(b) for b in trace.states)
    loads = [f"    _c{j} = C[r, {j}]" for j in range(constants)] + [f"    _s{j} = S[r, {j}]" for j in range(states)]
    body = ["    save = 0", *prelude, LOOP_LINE]
    body += writer.lines(trace.saved, "        ", lambda node: True)
    body.append("        if step % per_save == 0:")
    body += [f"            out[{row}, r, save] = {writer.ref(v)}" for row, v in enumerate(trace.saved)]
    body += ["            save += 1", "        if step == steps:", "            break"]
    body += writer.lines(list(trace.updates.values()), "        ", lambda node: True)
    body += [f"        _u{j} = {writer.ref(v)}" for j, v in trace.updates.items()]
    body += [f"        _s{j} = _u{j}" for j in trace.updates]
    body.append("        t = t + dt")
    body += [f"    S[r, {j}] = _s{j}" for j in trace.updates]  # the final states: a later round starts from them
    tables = []
    for i, (xs, ys) in enumerate(trace.tables):
        tables.append(f"_tx{i} = np.array({[float(x) for x in xs]!r}, dtype=np.float64)")
        tables.append(f"_ty{i} = np.array({[float(y) for y in ys]!r}, dtype=np.float64)")
    return loads + body, tables
