"""Straight-line NumPy code generated from PySD's translation of the model.

PySD evaluates a model by calling one Python function per variable per time step through caching
wrappers; for this model that is about 50,000 calls a run. This module reads the translated file
that PySD wrote (with :mod:`ast`), takes each variable's expression exactly as PySD wrote it, and
emits one function that evaluates the auxiliaries in dependency order and takes PySD's Euler step
(``state + ddt * dt``) for every ``Integ`` and ``Delay``, in a plain loop. The same code runs on
floats (one run) and on arrays of shape ``(n,)`` (a batch). Initial states come from PySD itself
(``Model.initialize``). Nothing is written by hand: a model that uses a construct this generator
does not know is refused with :class:`NotImplementedError`, and the tests compare every output with
PySD's own ``run``.
"""

from __future__ import annotations

import ast
import copy
import graphlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Python names of the simulation controls PySD exposes as functions -> plain names in the generated code
CONTROL = {"time": "t", "time_step": "dt", "initial_time": "initial_time", "final_time": "final_time", "saveper": "saveper"}


@dataclass
class Translation:
    """What the generator needs from a translated model."""

    expressions: dict[str, ast.expr]  # auxiliaries and constants: name -> return expression
    integs: dict[str, tuple[str, ast.expr]]  # stock function name -> (stateful name, ddt expression)
    delays: dict[str, tuple[str, ast.expr, ast.expr, int]]  # name -> (stateful, input, delay time, order)
    lookups: dict[str, tuple[list[float], list[float]]]  # lookup function name -> (x, y)
    smooths: dict[str, tuple[str, ast.expr, ast.expr, int]] = None  # name -> (stateful, input, smooth time, order)
    initials: dict[str, str] = None  # name -> stateful (INITIAL: its value is fixed at the start)
    trends: dict[str, tuple[str, ast.expr, ast.expr]] = None  # name -> (stateful, input, average time)
    delayns: dict[str, tuple[str, ast.expr, ast.expr, int]] = None  # DELAY N: name -> (stateful, input, delay time, order)
    fixed: dict[str, tuple[str, ast.expr]] = None  # DELAY FIXED: name -> (stateful, input)
    bodies: dict[str, list[ast.stmt]] = None  # a definition in several statements (subscripted pieces, EXCEPT)
    subscripts: dict[str, list[str]] = None  # subscripted variable -> its dimensions
    subscript_dict: dict[str, list[str]] = None  # dimension -> elements
    functions: set[str] = None  # names the module imports from pysd.py_backend.functions

    def __post_init__(self):
        for name in ("smooths", "initials", "trends", "delayns", "fixed", "bodies", "subscripts", "subscript_dict"):
            setattr(self, name, getattr(self, name) or {})
        self.functions = self.functions or set()

    @property
    def arrays(self) -> bool:
        """True when some variable is subscripted: values are DataArrays with a ``run`` dimension."""
        return bool(self.subscripts)


#: Vensim functions behind PySD's stateful objects, for refusals a modeller can read.
_VENSIM = {"DelayN": "DELAY N", "DelayFixed": "DELAY FIXED", "Trend": "TREND", "SampleIfTrue": "SAMPLE IF TRUE",
           "Forecast": "FORECAST", "Smooth": "SMOOTH", "Delay": "DELAY1/DELAY3", "Initial": "INITIAL"}  # fmt: skip


def _lambda_body(node: ast.expr) -> ast.expr:
    if not isinstance(node, ast.Lambda):
        raise NotImplementedError(f"expected a lambda in the PySD translation, got {ast.dump(node)[:80]}")
    return node.body


def _decorator_subscripts(node: ast.FunctionDef) -> list[str]:
    for decorator in node.decorator_list:
        for keyword in getattr(decorator, "keywords", []):
            if keyword.arg == "subscripts":
                return list(ast.literal_eval(keyword.value))
    return []


def read_translation(py_file: str | Path) -> Translation:
    """Parse the PySD-translated module into expressions, stocks, delays and lookups."""
    tree = ast.parse(Path(py_file).read_text(encoding="utf-8"))
    stateful_calls: dict[str, ast.Call] = {}
    expressions, wrappers, lookups_of, bodies, subscripts = {}, {}, {}, {}, {}
    subscript_dict, functions = {}, set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "pysd.py_backend.functions":
            functions |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "_subscript_dict":
            subscript_dict = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
            target = node.targets[0].id if isinstance(node.targets[0], ast.Name) else None
            if target and target.startswith("_"):
                stateful_calls[target] = node.value
        elif isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "add" for d in node.decorator_list
        ):
            if node.name in CONTROL:
                continue
            if dims := _decorator_subscripts(node):
                subscripts[node.name] = dims
            statements = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            if len(statements) > 1 or not isinstance(statements[0], ast.Return):
                bodies[node.name] = statements
                continue
            value = statements[0].value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.startswith("_"):
                if value.func.id.startswith("_hardcodedlookup_"):
                    lookups_of[node.name] = value.func.id
                else:
                    wrappers[node.name] = value.func.id
            else:
                expressions[node.name] = value
    # A stateful object called inside an expression (``DELAY1(a, 2) + DELAY3(b, 3)``) becomes a variable
    # of its own, named as PySD names the object.
    sources = [*expressions.values(), *(s for body in bodies.values() for s in body)]
    called = {n.func.id for e in sources for n in ast.walk(e) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    inline = {name: name for name in stateful_calls if name in called and not name.startswith("_hardcodedlookup_")}
    integs, delays, lookups, smooths, initials, trends, delayns, fixed = {}, {}, {}, {}, {}, {}, {}, {}
    for name, stateful in (wrappers | inline).items():
        call = stateful_calls.get(stateful)
        kind = getattr(call.func, "id", None) if call is not None else None
        if kind == "Integ":
            integs[name] = (stateful, _lambda_body(call.args[0]))
        elif kind in ("Delay", "DelayN", "Smooth"):
            order = _lambda_body(call.args[3])  # an expression: PySD fixes the order at initialisation
            order = int(order.value) if isinstance(order, ast.Constant) else None
            parts = (stateful, _lambda_body(call.args[0]), _lambda_body(call.args[1]), order)
            {"Delay": delays, "DelayN": delayns, "Smooth": smooths}[kind][name] = parts
        elif kind == "DelayFixed":
            fixed[name] = (stateful, _lambda_body(call.args[0]))
        elif kind == "Initial":
            initials[name] = stateful
        elif kind == "Trend":
            trends[name] = (stateful, _lambda_body(call.args[0]), _lambda_body(call.args[1]))
        else:
            raise NotImplementedError(f"{name}: PySD object {kind} ({_VENSIM.get(kind, kind)}) has no generated form")
    for name, object_name in lookups_of.items():
        call = stateful_calls[object_name]
        if getattr(call.func, "id", None) != "HardcodedLookups" or call.args[2].__class__ is not ast.Dict or call.args[2].keys:
            raise NotImplementedError(f"{name}: only one-dimensional hard-coded lookups are supported")
        interp = ast.literal_eval(call.args[3])
        if interp != "interpolate":
            raise NotImplementedError(f"{name}: lookup interpolation {interp!r} is not supported")
        lookups[name] = (ast.literal_eval(call.args[0]), ast.literal_eval(call.args[1]))
    return Translation(expressions, integs, delays, lookups, smooths, initials, trends, delayns, fixed, bodies,
                       subscripts, subscript_dict, functions)  # fmt: skip


#: PySD's time-dependent builtins, as NumPy expressions of ``t`` and ``dt`` that work on floats and on
#: arrays of runs; each is PySD's own definition (``pysd.py_backend.functions``), written out here.
TIME_FUNCTIONS = {
    # step(time, value, tstep): value * (time() + time.time_step() / 2 > tstep)
    "step": (2, "({0}) * (t + dt / 2 > ({1}))"),
    # ramp(time, slope, start, finish): (t + SMALL_VENSIM > start) * slope * (min(finish, t) - start)
    "ramp": (3, "(t + 1e-06 > ({1})) * ({0}) * (np.minimum(({2}), t) - ({1}))"),
}


#: PySD's other builtins (``pysd.py_backend.functions``), as NumPy expressions that give PySD's value
#: on floats and elementwise on arrays. PySD's protected divisions test ``abs(b) < SMALL_VENSIM``
#: (1e-6); the divisor is replaced where the test holds, so no division by zero is ever evaluated.
BUILTINS = {
    # xidz(a, b, x): x if abs(b) < 1e-6 else a / b
    "xidz": (3, "_where(np.abs({1}) < 1e-06, {2}, ({0}) / _where(np.abs({1}) < 1e-06, 1.0, {1}))"),
    # zidz(a, b): 0 if abs(b) < 1e-6 else a / b
    "zidz": (2, "_where(np.abs({1}) < 1e-06, 0.0, ({0}) / _where(np.abs({1}) < 1e-06, 1.0, {1}))"),
    # integer(x): int(x), the integer part (towards zero)
    "integer": (1, "np.trunc({0})"),
    # modulo(x, m): x - quantum(x, m); quantum(a, b): a if b < 1e-6 else b * integer(a / b)
    # quantum(a, b): a if b < 1e-6 else b * integer(a / b)
    "quantum": (2, "_where(({1}) < 1e-06, {0}, ({1}) * np.trunc(({0}) / _where(({1}) < 1e-06, 1.0, {1})))"),
    "modulo": (2, "({0}) - _where(({1}) < 1e-06, {0}, ({1}) * np.trunc(({0}) / _where(({1}) < 1e-06, 1.0, {1})))"),
}


def _pulse(args: list[str], keywords: dict[str, str]) -> str:
    """PySD's ``pulse(time, start, repeat_time=0, width=None, magnitude=None, end=None)`` (PULSE, PULSE
    TRAIN): ``out`` (``magnitude / dt``, or 1) while ``start - 1e-6 <= t < start + width`` when
    ``repeat_time`` is 0, else while ``start <= t < end`` and ``(t - start + 1e-6) % repeat_time < width``;
    ``width`` defaults to half a time step."""
    names = ["start", "repeat_time", "width", "magnitude", "end"]
    given = dict(zip(names, args, strict=False)) | keywords
    unknown = set(given) - set(names)
    if unknown or "start" not in given:
        raise NotImplementedError(f"pulse() with arguments {sorted(given)} has no generated form")
    start, width = f"({given['start']})", f"({given.get('width', '0.5 * dt')})"
    out = f"(({given['magnitude']}) / dt)" if "magnitude" in given else "1.0"
    single = f"_where(({start} - 1e-06 <= t) & (t < {start} + {width}), {out}, 0.0)"
    if "repeat_time" not in given:
        return single
    repeat = f"({given['repeat_time']})"
    window = f"({start} <= t)" + (f" & (t < ({given['end']}))" if "end" in given else "")
    train = f"_where({window} & (np.mod(t - {start} + 1e-06, _where({repeat} == 0, 1.0, {repeat})) < {width}), {out}, 0.0)"
    return f"_where({repeat} == 0, {single}, {train})"


#: In a subscripted model, PySD's functions that the generated code calls as PySD defines them: over
#: named dimensions, so a ``run`` dimension passes through them.
ARRAY_FUNCTIONS = {"sum", "prod", "vmin", "vmax"}
#: NumPy and xarray functions the generated code may call on ``run``-last arrays, besides NumPy's
#: element-wise ufuncs; methods of DataArrays likewise.
ARRAY_NUMPY = {"arange", "array", "zeros_like", "ones_like", "full_like"}
ARRAY_XARRAY = {"DataArray", "where", "zeros_like", "ones_like", "full_like"}
ARRAY_METHODS = {"rename", "expand_dims", "transpose", "reset_coords", "copy"}


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def _parse(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


class _Rewrite(ast.NodeTransformer):
    """``name()`` -> ``name``; ``float(x)`` -> ``x``; ``lookup(x)`` -> ``np.interp(x, X, Y)``;
    ``step``/``ramp``/``pulse`` -> their time-dependent form; ``if_then_else`` -> ``_where``;
    :data:`BUILTINS` -> their NumPy form. With ``arrays`` (a subscripted model), ``.values`` and
    ``float`` go through :mod:`sd_model.engine.arrays` and only known functions and methods are kept."""

    def __init__(self, components: set[str], lookups: set[str], arrays: bool = False):
        self.components = components
        self.lookups = lookups
        self.arrays = arrays
        self.used: set[str] = set()

    def visit_Subscript(self, node: ast.Subscript):
        if _name(node.value) == "__data":  # PySD's time object, the first argument of STEP, RAMP, PULSE
            return node
        return self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute):
        self.generic_visit(node)
        if self.arrays and node.attr == "values":
            raise NotImplementedError(f"{ast.unparse(node)}: NumPy access to a subscripted value has no generated form")
        return node

    def visit_Call(self, node: ast.Call):
        if (
            self.arrays and isinstance(node.func, ast.Attribute) and node.func.attr == "DataArray" and node.args
            and isinstance(node.args[0], ast.Attribute) and node.args[0].attr == "values"
        ):  # fmt: skip
            # xr.DataArray(x.values, coords, dims): a subscript mapping, the numbers relabelled by position
            node.args[0] = node.args[0].value
            self.generic_visit(node)
            return ast.Call(ast.Name("_relabel", ast.Load()), node.args, node.keywords)
        self.generic_visit(node)
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name == "float" and len(node.args) == 1:
                return ast.Call(ast.Name("_scalar", ast.Load()), node.args, []) if self.arrays else node.args[0]
            if name in CONTROL and not node.args:
                return ast.Name(CONTROL[name], ast.Load())
            if name in self.components and not node.args:
                self.used.add(name)
                return ast.Name(name, ast.Load())
            if name in TIME_FUNCTIONS:
                arity, template = TIME_FUNCTIONS[name]
                args = node.args[1:]  # the first is PySD's time object
                if len(args) != arity or node.keywords:
                    raise NotImplementedError(f"{name}() with {len(args)} arguments has no generated form (RAMP needs a finish)")
                return _parse(template.format(*(ast.unparse(a) for a in args)))
            if name == "pulse":
                keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
                return _parse(_pulse([ast.unparse(a) for a in node.args[1:]], keywords))
            if name == "active_initial" and len(node.args) == 3 and isinstance(node.args[1], ast.Lambda):
                return node.args[1].body  # PySD: the expression once the run has started, its initial value before
            if name == "if_then_else" and len(node.args) == 3 and not node.keywords:
                branches = [a.body if isinstance(a, ast.Lambda) else a for a in node.args[1:]]
                return ast.Call(ast.Name("_where", ast.Load()), [node.args[0], *branches], [])
            if name in BUILTINS:
                arity, template = BUILTINS[name]
                if len(node.args) != arity or node.keywords:
                    raise NotImplementedError(f"{name}() with {len(node.args)} arguments has no generated form")
                return _parse(template.format(*(ast.unparse(a) for a in node.args)))
            if name in self.lookups:
                x = ast.Name(f"_lx_{name}", ast.Load())
                y = ast.Name(f"_ly_{name}", ast.Load())
                function = "_interp" if self.arrays else "np.interp"
                return ast.Call(_parse(function), [node.args[0], x, y], [])
            if self.arrays and name in ARRAY_FUNCTIONS | {"_relabel", "_scalar", "len"}:
                return node
            raise NotImplementedError(f"function {name}() in the PySD translation has no generated form")
        func = node.func
        if isinstance(func, ast.Attribute) and _name(func.value) == "np":
            if self.arrays and not (func.attr in ARRAY_NUMPY or isinstance(getattr(np, func.attr, None), np.ufunc)):
                raise NotImplementedError(f"np.{func.attr}() on subscripted values has no generated form")
            return node
        if self.arrays and isinstance(func, ast.Attribute) and _name(func.value) == "xr" and func.attr in ARRAY_XARRAY:
            return node
        if self.arrays and isinstance(func, ast.Attribute) and func.attr in ARRAY_METHODS:
            if func.attr == "transpose":  # the run dimension stays last
                node.args.append(ast.Constant(Ellipsis))
            return node
        raise NotImplementedError(f"call {ast.unparse(node)[:80]} has no generated form")


def output_elements(translation: Translation, name: str) -> list[str]:
    """Element labels of one variable's columns, in PySD's order (``[""]`` for a scalar variable)."""
    from .arrays import element_labels

    return element_labels(translation.subscripts.get(name, []), translation.subscript_dict)


def _is_loc(node) -> bool:
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "loc"


def _is_values(node) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "values"


def _body_function(name: str, statements: list[ast.stmt], rewrite: _Rewrite) -> list[str]:
    """A definition in several statements (PySD's pieces of a subscripted variable, EXCEPT) as a nested
    function of the loop: the same statements, a ``run`` dimension added to the array it fills."""
    if not rewrite.arrays:
        raise NotImplementedError(f"{name}: a definition in several statements has no generated form")
    lines = [f"def _def_{name}():"]

    def expr(node):
        return ast.unparse(rewrite.visit(_copy(node)))

    for i, statement in enumerate(statements):
        target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else None
        if isinstance(statement, ast.Return):
            lines.append(f"    return {expr(statement.value)}")
        elif isinstance(target, ast.Name):
            lines.append(f"    {target.id} = {expr(statement.value)}")
            if i == 0 and target.id == "value":  # the array PySD fills piece by piece: one column per run
                lines.append("    value = _with_runs(value, n)")
        elif _is_loc(target):  # value.loc[...] = piece; a piece's .values are placed by position
            rhs = statement.value
            piece = f"_positional({expr(rhs.value)}, n)" if _is_values(rhs) else expr(rhs)
            index = rewrite.visit(copy.deepcopy(target.slice))
            index = ", ".join(map(ast.unparse, index.elts)) if isinstance(index, ast.Tuple) else ast.unparse(index)
            lines.append(f"    {expr(target.value.value)}.loc[{index}] = {piece}")
        elif isinstance(target, ast.Subscript) and _is_values(target.value) and _is_values(target.slice):
            # EXCEPT: value.values[mask.values] = new.values[mask.values] (or a number)
            rhs = statement.value
            new = rhs.value.value if isinstance(rhs, ast.Subscript) and _is_values(rhs.value) else rhs
            array, mask = expr(target.value.value), expr(target.slice.value)
            lines.append(f"    {array} = _masked({array}, {mask}, {expr(new)})")
        else:
            raise NotImplementedError(f"{name}: statement {ast.unparse(statement)[:60]!r} has no generated form")
    return lines


def _delay_stages(name: str, k: int, source: str, times: list[str]) -> list[str]:
    """PySD's ``Delay.ddt``: each stage's outflow is its state over its delay time (``times[i]``), its
    inflow the previous stage's outflow (the input for the first), times the order ``k``."""
    lines = [f"_out_{name}_{i} = _{name}_{i} / {times[i]}" for i in range(k)]
    lines.append(f"_in_{name} = {source}")
    return lines + [
        f"_ddt_{name}_{i} = ({f'_in_{name}' if i == 0 else f'_out_{name}_{i - 1}'} - _out_{name}_{i}) * {k}" for i in range(k)
    ]


#: Names the generated code reads from its module: never loop variables, so loop invariant.
GLOBALS = {"np", "xr", "_where", "_subscript_dict", "_relabel", "_scalar", "_interp", "_last", "len", *ARRAY_FUNCTIONS}


def generate_source(translation: Translation, constants: list[str], outputs: list[str], orders=None) -> str:
    """Source of ``euler_loop(c, s, t, dt, steps, per_save, out)``.

    ``c`` maps constant names (PySD names) to floats or arrays, ``s`` stateful names to initial
    states (a list of stages for delays and smooths), ``out`` is an array ``(columns, n, saves)``
    filled in place, one column per element of each output (:func:`output_elements`). ``orders``
    maps the stateful names of delays and smooths to the order PySD gave them at initialisation
    (PySD lowers an order that is too high for the time step, and computes one given as an
    expression); without it, the written order, and a refusal where there is none.
    """
    tr = translation
    orders = orders or {}
    for group in (tr.delays, tr.smooths, tr.delayns):
        for name, (stateful, source, time, order) in list(group.items()):
            if stateful in orders:
                order = orders[stateful]
            if order is None:
                raise NotImplementedError(f"{name}: an order that is an expression is known only after PySD's initialisation")
            group[name] = (stateful, source, time, int(order))
    stocks = set(tr.integs) | set(tr.delays) | set(tr.smooths) | set(tr.initials) | set(tr.trends) | set(tr.delayns)
    stocks |= set(tr.fixed)
    components = set(tr.expressions) | set(tr.bodies) | stocks
    rewrite = _Rewrite(components, set(tr.lookups), arrays=tr.arrays)

    def shaped(name: str, text: str) -> str:  # a subscripted value: its dimensions in PySD's order, run last
        return f"_last({text}, {tuple(tr.subscripts[name])!r})" if tr.arrays and name in tr.subscripts else text

    def visit(node: ast.expr) -> str:
        return ast.unparse(rewrite.visit(_copy(node)))

    code, deps, functions = {}, {}, []
    for name, expression in tr.expressions.items():
        rewrite.used = set()
        code[name] = shaped(name, visit(expression))
        deps[name] = set(rewrite.used)  # a copy: the derivatives below reuse the rewriter
    for name, statements in tr.bodies.items():
        if name in constants:
            continue  # PySD's value, as every constant's
        rewrite.used = set()
        functions += _body_function(name, statements, rewrite)
        code[name] = shaped(name, f"_def_{name}()")
        deps[name] = set(rewrite.used)
    auxiliaries = [n for n in [*tr.expressions, *tr.bodies] if n not in constants]
    derivative = {name: visit(ddt) for name, (_, ddt) in tr.integs.items()}
    delay_parts = {
        name: (visit(source), visit(delay_time)) for name, (_, source, delay_time, _) in [*tr.delays.items(), *tr.delayns.items()]
    }
    trend_parts, trend_deps = {}, {}
    for name, (_, source, average_time) in tr.trends.items():
        rewrite.used = set()
        trend_parts[name] = (visit(source), visit(average_time))
        trend_deps[name] = set(rewrite.used)
    smooth_parts = {name: (visit(source), visit(smooth_time)) for name, (_, source, smooth_time, _) in tr.smooths.items()}
    fixed_input = {name: visit(source) for name, (_, source) in tr.fixed.items()}
    lines = ["def euler_loop(c, s, t, dt, steps, per_save, out):", "    n = out.shape[1]"]
    lines += [f"    {name} = c[{name!r}]" for name in constants]
    lines += ["    initial_time = c['initial_time']", "    final_time = c['final_time']", "    saveper = c['saveper']"]
    lines += [
        f"    _lx_{name} = np.asarray({x!r}, dtype=float)\n    _ly_{name} = np.asarray({y!r}, dtype=float)"
        for name, (x, y) in tr.lookups.items()
    ]
    lines += [f"    {name} = {shaped(name, f's[{stateful!r}]')}" for name, (stateful, _) in tr.integs.items()]
    for name, (stateful, _, _, k) in [*tr.delays.items(), *tr.smooths.items(), *tr.delayns.items()]:
        # PySD lowers a delay's order when order x TIME STEP exceeds the delay time: refuse, never step wrongly
        lines.append(
            f"    if len(s[{stateful!r}]) != {k}: raise NotImplementedError('{name}: PySD set its order to ' + str(len(s[{stateful!r}])) + ', the generated loop has {k}')"
        )
        lines += [f"    _{name}_{i} = {shaped(name, f's[{stateful!r}][{i}]')}" for i in range(k)]
    for name, (stateful, _, _, k) in tr.delayns.items():  # PySD keeps the delay time of each stage
        times = repr(stateful + ".times")
        lines += [f"    _{name}_t{i} = {shaped(name, f's[{times}][{i}]')}" for i in range(k)]
    for name, (stateful, _) in tr.fixed.items():  # PySD: a pipeline of inputs and a pointer into it
        pipe = repr(stateful + ".pipe")
        lines += [f"    _{name}_pipe = list(s[{pipe}])", f"    _{name}_at = 0", f"    {name} = s[{stateful!r}]"]
    lines += [f"    {name} = s[{stateful!r}]" for name, stateful in tr.initials.items()]
    lines += [f"    _{name}_state = s[{stateful!r}]" for name, (stateful, _, _) in tr.trends.items()]
    lines += ["    " + line for line in functions]
    lines += ["    save = 0", "    for step in range(steps + 1):"]
    body = [f"{name} = _{name}_{k - 1}" for name, (_, _, _, k) in tr.smooths.items()]  # PySD: state[-1]
    body += [f"{name} = _{name}_{k - 1} / _{name}_t0" for name, (_, _, _, k) in tr.delayns.items()]  # PySD: state[-1] / times[0]
    delay_output = {name: f"_{name}_{k - 1} / ({delay_parts[name][1]})" for name, (_, _, _, k) in tr.delays.items()}
    # Delay outputs use the delay time, possibly an auxiliary: place each after its dependencies.
    delay_deps = {}
    for name in tr.delays:
        rewrite.used = set()
        rewrite.visit(_copy(tr.delays[name][2]))
        delay_deps[name] = {d for d in rewrite.used if d in auxiliaries}
    try:
        full_order = list(graphlib.TopologicalSorter(
            {n: {d for d in deps[n] if d in auxiliaries or d in tr.delays or d in tr.trends} for n in auxiliaries}
            | delay_deps
            | {n: {d for d in used if d in auxiliaries} for n, used in trend_deps.items()}
        ).static_order())  # fmt: skip
    except graphlib.CycleError as err:
        raise NotImplementedError(f"the auxiliaries {' -> '.join(err.args[1])} form a cycle the generator cannot order") from None
    for name in full_order:
        if name in tr.delays:
            body.append(f"{name} = {shaped(name, delay_output[name])}")
        elif name in tr.trends:  # PySD: zidz(input - state, average time * abs(state))
            source, average_time = trend_parts[name]
            zidz = BUILTINS["zidz"][1].format(f"({source}) - _{name}_state", f"({average_time}) * np.abs(_{name}_state)")
            body.append(f"{name} = {shaped(name, zidz)}")
        elif name in code:
            body.append(f"{name} = {code[name]}")
    body.append("if step % per_save == 0:")
    row = 0
    for name in outputs:
        size = len(output_elements(tr, name))
        if tr.arrays and name in tr.subscripts:
            body.append(f"    out[{row}:{row + size}, :, save] = _flatten({name}, _tpl_{name})")
        else:
            body.append(f"    out[{row}, :, save] = {name}")
        row += size
    body += ["    save += 1", "if step == steps:", "    break"]
    body += [f"_ddt_{name} = {expr}" for name, expr in derivative.items()]
    for name, (_, _, _, k) in tr.delays.items():
        source, delay_time = delay_parts[name]
        body.append(f"_dtime_{name} = {delay_time}")
        body += _delay_stages(name, k, source, [f"_dtime_{name}"] * k)
    for name, (_, _, _, k) in tr.delayns.items():  # PySD: the stage times roll, the newest first; then as DELAY
        source, delay_time = delay_parts[name]
        body += [f"_{name}_t{i} = _{name}_t{i - 1}" for i in range(k - 1, 0, -1)]
        body.append(f"_{name}_t0 = {delay_time}")
        body += _delay_stages(name, k, source, [f"_{name}_t{i}" for i in range(k)])
    for name, (_, _, _, k) in tr.smooths.items():  # PySD: (roll(state) with the input first - state) * order / smooth time
        source, smooth_time = smooth_parts[name]
        body.append(f"_stime_{name} = {smooth_time}")
        body += [
            f"_ddt_{name}_{i} = (({source if i == 0 else f'_{name}_{i - 1}'}) - _{name}_{i}) * {k} / _stime_{name}"
            for i in range(k)
        ]
    for name, (source, average_time) in trend_parts.items():  # PySD: (input - state) / average time
        body.append(f"_ddt_{name}_state = (({source}) - _{name}_state) / ({average_time})")
    body += [f"_in_{name} = {source}" for name, source in fixed_input.items()]
    body += [f"{name} = {shaped(name, f'{name} + _ddt_{name} * dt')}" for name in derivative]
    body += [f"_{name}_state = _{name}_state + _ddt_{name}_state * dt" for name in tr.trends]
    for name, (_, _, _, k) in [*tr.delays.items(), *tr.smooths.items(), *tr.delayns.items()]:
        body += [f"_{name}_{i} = {shaped(name, f'_{name}_{i} + _ddt_{name}_{i} * dt')}" for i in range(k)]
    for name in tr.fixed:  # PySD: pipe[pointer] = input; pointer moves on; the state is pipe[pointer]
        body += [f"_{name}_pipe[_{name}_at] = _in_{name}", f"_{name}_at = (_{name}_at + 1) % len(_{name}_pipe)",
                 f"{name} = _{name}_pipe[_{name}_at]"]  # fmt: skip
    body.append("t = t + dt")
    invariant = set(constants) | set(tr.initials) | {"initial_time", "final_time", "saveper", "dt", "n"} | GLOBALS
    invariant |= {f"_l{xy}_{name}" for name in tr.lookups for xy in "xy"}
    before, body = hoist_invariants(body, invariant)
    if tr.arrays:  # the shape of each subscripted output: its elements, then the runs
        before += [
            f"_tpl_{name} = xr.DataArray(np.zeros({tuple(len(tr.subscript_dict[d]) for d in tr.subscripts[name])} + (n,)), "
            f"{{d: _subscript_dict[d] for d in {tuple(tr.subscripts[name])!r}}}, [*{tuple(tr.subscripts[name])!r}, 'run'])"
            for name in outputs if name in tr.subscripts
        ]  # fmt: skip
    loop_start = lines.index("    for step in range(steps + 1):")
    lines[loop_start:loop_start] = ["    " + line for line in before]
    lines += ["        " + line for line in body]
    return "\n".join(lines) + "\n"


class _Hoist(ast.NodeTransformer):
    """Replace each largest subexpression that reads only loop invariants by a name computed once."""

    def __init__(self, invariant: set[str], hoisted: dict[str, str]):
        self.invariant = invariant
        self.hoisted = hoisted  # source -> name

    def visit(self, node):
        if isinstance(node, ast.expr) and not isinstance(node, (ast.Name, ast.Constant, ast.Attribute)):
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if names and names <= self.invariant | GLOBALS and not names <= GLOBALS:
                source = ast.unparse(node)
                return ast.Name(self.hoisted.setdefault(source, f"_inv{len(self.hoisted)}"), ast.Load())
        return super().visit(node)


def hoist_invariants(body: list[str], invariant: set[str]) -> tuple[list[str], list[str]]:
    """Move loop-invariant work out of the time loop.

    An assignment whose whole right side reads only invariants (constants, ``dt``, lookup tables and
    earlier invariant assignments) moves before the loop; in the others, each largest invariant
    subexpression is computed once before the loop. The same operations run in the same order on the
    same values, so the results are bit-identical; only their repetition every time step goes.
    """
    invariant = set(invariant)
    hoisted: dict[str, str] = {}
    before, after = [], []
    for line in body:
        target, sep, expression = line.partition(" = ")
        if not sep or not target.isidentifier() or line.startswith(" "):
            after.append(line)
            continue
        tree = ast.parse(expression, mode="eval").body
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        if names <= invariant | GLOBALS and target not in names:
            before.append(line)
            invariant.add(target)
            continue
        after.append(f"{target} = {ast.unparse(_Hoist(invariant, hoisted).visit(tree))}")
    before += [f"{name} = {source}" for source, name in hoisted.items()]
    return before, after


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def namespace(translation: Translation) -> dict:
    """The names the generated code reads: NumPy; for a subscripted model also xarray (its
    ``DataArray`` taking values per run), the subscripts and :mod:`sd_model.engine.arrays`' helpers."""
    if not translation.arrays:
        return {"np": np, "_where": np.where}
    import pysd.py_backend.functions as pysd_functions
    import xarray

    from . import arrays

    return {
        "np": np,
        "xr": arrays.XR,
        "_where": xarray.where,
        "_subscript_dict": translation.subscript_dict,
        "_relabel": arrays.relabel,
        "_scalar": arrays.scalar,
        "_interp": arrays.interp,
        "_last": arrays.runs_last,
        "_flatten": arrays.flatten,
        "_with_runs": arrays.with_runs,
        "_positional": arrays.positional,
        "_masked": arrays.masked,
    } | {name: getattr(pysd_functions, name) for name in ARRAY_FUNCTIONS}


def compile_loop(py_file: str | Path, constants: list[str], outputs: list[str], orders=None):
    """Compile the generated ``euler_loop`` function of a translated model; return it and its source."""
    translation = read_translation(py_file)
    source = generate_source(translation, constants, outputs, orders)
    names = namespace(translation)
    exec(compile(source, f"<generated from {Path(py_file).name}>", "exec"), names)
    return names["euler_loop"], source
