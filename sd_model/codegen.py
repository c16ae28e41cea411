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

    def __post_init__(self):
        self.smooths = self.smooths or {}
        self.initials = self.initials or {}
        self.trends = self.trends or {}


#: Vensim functions behind PySD's stateful objects, for refusals a modeller can read.
_VENSIM = {"DelayN": "DELAY N", "DelayFixed": "DELAY FIXED", "Trend": "TREND", "SampleIfTrue": "SAMPLE IF TRUE",
           "Forecast": "FORECAST", "Smooth": "SMOOTH", "Delay": "DELAY1/DELAY3", "Initial": "INITIAL"}  # fmt: skip


def _lambda_body(node: ast.expr) -> ast.expr:
    if not isinstance(node, ast.Lambda):
        raise NotImplementedError(f"expected a lambda in the PySD translation, got {ast.dump(node)[:80]}")
    return node.body


def read_translation(py_file: str | Path) -> Translation:
    """Parse the PySD-translated module into expressions, stocks, delays and lookups."""
    tree = ast.parse(Path(py_file).read_text(encoding="utf-8"))
    stateful_calls: dict[str, ast.Call] = {}
    expressions, wrappers, lookups_of = {}, {}, {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name):
            target = node.targets[0].id if isinstance(node.targets[0], ast.Name) else None
            if target and target.startswith("_"):
                stateful_calls[target] = node.value
        elif isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "add" for d in node.decorator_list
        ):
            if node.name in CONTROL:
                continue
            returns = [s for s in node.body if isinstance(s, ast.Return)]
            if len(returns) != 1:
                raise NotImplementedError(f"{node.name}: expected a single return statement")
            value = returns[0].value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.startswith("_"):
                if value.func.id.startswith("_hardcodedlookup_"):
                    lookups_of[node.name] = value.func.id
                else:
                    wrappers[node.name] = value.func.id
            else:
                expressions[node.name] = value
    # A stateful object called inside an expression (``DELAY1(a, 2) + DELAY3(b, 3)``) becomes a variable
    # of its own, named as PySD names the object.
    called = {
        n.func.id for e in expressions.values() for n in ast.walk(e) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
    }
    inline = {name: name for name in stateful_calls if name in called and not name.startswith("_hardcodedlookup_")}
    integs, delays, lookups, smooths, initials, trends = {}, {}, {}, {}, {}, {}
    for name, stateful in (wrappers | inline).items():
        call = stateful_calls.get(stateful)
        kind = getattr(call.func, "id", None) if call is not None else None
        if kind == "Integ":
            integs[name] = (stateful, _lambda_body(call.args[0]))
        elif kind == "Delay":
            order = _lambda_body(call.args[3])
            if not isinstance(order, ast.Constant):
                raise NotImplementedError(f"{name}: delay order must be a constant")
            delays[name] = (stateful, _lambda_body(call.args[0]), _lambda_body(call.args[1]), int(order.value))
        elif kind == "Smooth":
            order = _lambda_body(call.args[3])
            if not isinstance(order, ast.Constant):
                raise NotImplementedError(f"{name}: smooth order must be a constant")
            smooths[name] = (stateful, _lambda_body(call.args[0]), _lambda_body(call.args[1]), int(order.value))
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
    return Translation(expressions, integs, delays, lookups, smooths, initials, trends)


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
    "xidz": (3, "np.where(np.abs({1}) < 1e-06, {2}, ({0}) / np.where(np.abs({1}) < 1e-06, 1.0, {1}))"),
    # zidz(a, b): 0 if abs(b) < 1e-6 else a / b
    "zidz": (2, "np.where(np.abs({1}) < 1e-06, 0.0, ({0}) / np.where(np.abs({1}) < 1e-06, 1.0, {1}))"),
    # integer(x): int(x), the integer part (towards zero)
    "integer": (1, "np.trunc({0})"),
    # modulo(x, m): x - quantum(x, m); quantum(a, b): a if b < 1e-6 else b * integer(a / b)
    "modulo": (2, "({0}) - np.where(({1}) < 1e-06, {0}, ({1}) * np.trunc(({0}) / np.where(({1}) < 1e-06, 1.0, {1})))"),
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
    single = f"np.where(({start} - 1e-06 <= t) & (t < {start} + {width}), {out}, 0.0)"
    if "repeat_time" not in given:
        return single
    repeat = f"({given['repeat_time']})"
    window = f"({start} <= t)" + (f" & (t < ({given['end']}))" if "end" in given else "")
    train = f"np.where({window} & (np.mod(t - {start} + 1e-06, np.where({repeat} == 0, 1.0, {repeat})) < {width}), {out}, 0.0)"
    return f"np.where({repeat} == 0, {single}, {train})"


class _Rewrite(ast.NodeTransformer):
    """``name()`` -> ``name``; ``float(x)`` -> ``x``; ``lookup(x)`` -> ``np.interp(x, X, Y)``;
    ``step``/``ramp``/``pulse`` -> their time-dependent form; ``if_then_else`` -> ``np.where``;
    :data:`BUILTINS` -> their NumPy form."""

    def __init__(self, components: set[str], lookups: set[str]):
        self.components = components
        self.lookups = lookups
        self.used: set[str] = set()

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name == "float" and len(node.args) == 1:
                return node.args[0]
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
                text = template.format(*(ast.unparse(a) for a in args))
                return ast.parse(text, mode="eval").body
            if name == "pulse":
                keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
                return ast.parse(_pulse([ast.unparse(a) for a in node.args[1:]], keywords), mode="eval").body
            if name == "active_initial" and len(node.args) == 3 and isinstance(node.args[1], ast.Lambda):
                return node.args[1].body  # PySD: the expression once the run has started, its initial value before
            if name == "if_then_else" and len(node.args) == 3 and not node.keywords:
                branches = [a.body if isinstance(a, ast.Lambda) else a for a in node.args[1:]]
                return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "where", ast.Load()), [node.args[0], *branches], [])
            if name in BUILTINS:
                arity, template = BUILTINS[name]
                if len(node.args) != arity or node.keywords:
                    raise NotImplementedError(f"{name}() with {len(node.args)} arguments has no generated form")
                return ast.parse(template.format(*(ast.unparse(a) for a in node.args)), mode="eval").body
            if name in self.lookups:
                x = ast.Name(f"_lx_{name}", ast.Load())
                y = ast.Name(f"_ly_{name}", ast.Load())
                return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "interp", ast.Load()), [node.args[0], x, y], [])
            raise NotImplementedError(f"function {name}() in the PySD translation has no generated form")
        if not (isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "np"):
            raise NotImplementedError(f"call {ast.unparse(node)} has no generated form")
        return node


def generate_source(translation: Translation, constants: list[str], outputs: list[str]) -> str:
    """Source of ``euler_loop(c, s, t, dt, steps, per_save, out)``.

    ``c`` maps constant names (PySD names) to floats or arrays, ``s`` stateful names to initial
    states, ``out`` is an array ``(len(outputs), n, saves)`` filled in place.
    """
    tr = translation
    stocks = set(tr.integs) | set(tr.delays) | set(tr.smooths) | set(tr.initials) | set(tr.trends)
    components = set(tr.expressions) | stocks
    rewrite = _Rewrite(components, set(tr.lookups))
    code, deps = {}, {}
    for name, expression in tr.expressions.items():
        rewrite.used = set()
        code[name] = ast.unparse(rewrite.visit(_copy(expression)))
        deps[name] = set(rewrite.used)  # a copy: the derivatives below reuse the rewriter
    auxiliaries = [n for n in tr.expressions if n not in constants]
    derivative = {}
    for name, (_, ddt) in tr.integs.items():
        derivative[name] = ast.unparse(rewrite.visit(_copy(ddt)))
    delay_parts = {}
    for name, (_, source, delay_time, _order) in tr.delays.items():
        delay_parts[name] = (ast.unparse(rewrite.visit(_copy(source))), ast.unparse(rewrite.visit(_copy(delay_time))))
    trend_parts, trend_deps = {}, {}
    for name, (_, source, average_time) in tr.trends.items():
        rewrite.used = set()
        trend_parts[name] = (ast.unparse(rewrite.visit(_copy(source))), ast.unparse(rewrite.visit(_copy(average_time))))
        trend_deps[name] = set(rewrite.used)
    smooth_parts = {}
    for name, (_, source, smooth_time, _order) in tr.smooths.items():
        smooth_parts[name] = (ast.unparse(rewrite.visit(_copy(source))), ast.unparse(rewrite.visit(_copy(smooth_time))))
    lines = ["def euler_loop(c, s, t, dt, steps, per_save, out):"]
    lines += [f"    {name} = c[{name!r}]" for name in constants]
    lines += ["    initial_time = c['initial_time']", "    final_time = c['final_time']", "    saveper = c['saveper']"]
    lines += [
        f"    _lx_{name} = np.asarray({x!r}, dtype=float)\n    _ly_{name} = np.asarray({y!r}, dtype=float)"
        for name, (x, y) in tr.lookups.items()
    ]
    lines += [f"    {name} = s[{stateful!r}]" for name, (stateful, _) in tr.integs.items()]
    for name, (stateful, _, _, k) in [*tr.delays.items(), *tr.smooths.items()]:
        # PySD lowers a delay's order when order x TIME STEP exceeds the delay time: refuse, never step wrongly
        lines.append(
            f"    if len(s[{stateful!r}]) != {k}: raise NotImplementedError('{name}: PySD set its order to ' + str(len(s[{stateful!r}])) + ', not {k}')"
        )
        lines += [f"    _{name}_{i} = s[{stateful!r}][{i}]" for i in range(k)]
    lines += [f"    {name} = s[{stateful!r}]" for name, stateful in tr.initials.items()]
    lines += [f"    _{name}_state = s[{stateful!r}]" for name, (stateful, _, _) in tr.trends.items()]
    lines += ["    save = 0", "    for step in range(steps + 1):"]
    body = [f"{name} = _{name}_{k - 1}" for name, (_, _, _, k) in tr.smooths.items()]  # PySD: state[-1]
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
            body.append(f"{name} = {delay_output[name]}")
        elif name in tr.trends:  # PySD: zidz(input - state, average time * abs(state))
            source, average_time = trend_parts[name]
            zidz = BUILTINS["zidz"][1].format(f"({source}) - _{name}_state", f"({average_time}) * np.abs(_{name}_state)")
            body.append(f"{name} = {zidz}")
        elif name in code:
            body.append(f"{name} = {code[name]}")
    body.append("if step % per_save == 0:")
    body += [f"    out[{i}, :, save] = {name}" for i, name in enumerate(outputs)]
    body += ["    save += 1", "if step == steps:", "    break"]
    body += [f"_ddt_{name} = {expr}" for name, expr in derivative.items()]
    for name, (_, _, _, k) in tr.delays.items():
        source, delay_time = delay_parts[name]
        body.append(f"_dtime_{name} = {delay_time}")
        body += [f"_out_{name}_{i} = _{name}_{i} / _dtime_{name}" for i in range(k)]
        body.append(f"_in_{name} = {source}")
        body += [
            f"_ddt_{name}_{i} = ({f'_in_{name}' if i == 0 else f'_out_{name}_{i - 1}'} - _out_{name}_{i}) * {k}" for i in range(k)
        ]
    for name, (_, _, _, k) in tr.smooths.items():  # PySD: (roll(state) with the input first - state) * order / smooth time
        source, smooth_time = smooth_parts[name]
        body.append(f"_stime_{name} = {smooth_time}")
        body += [
            f"_ddt_{name}_{i} = (({source if i == 0 else f'_{name}_{i - 1}'}) - _{name}_{i}) * {k} / _stime_{name}"
            for i in range(k)
        ]
    for name, (source, average_time) in trend_parts.items():  # PySD: (input - state) / average time
        body.append(f"_ddt_{name}_state = (({source}) - _{name}_state) / ({average_time})")
    body += [f"{name} = {name} + _ddt_{name} * dt" for name in derivative]
    body += [f"_{name}_state = _{name}_state + _ddt_{name}_state * dt" for name in tr.trends]
    for name, (_, _, _, k) in [*tr.delays.items(), *tr.smooths.items()]:
        body += [f"_{name}_{i} = _{name}_{i} + _ddt_{name}_{i} * dt" for i in range(k)]
    body.append("t = t + dt")
    invariant = set(constants) | set(tr.initials) | {"initial_time", "final_time", "saveper", "dt"}
    invariant |= {f"_l{xy}_{name}" for name in tr.lookups for xy in "xy"}
    before, body = hoist_invariants(body, invariant)
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
            if names and names <= self.invariant | {"np"} and names != {"np"}:
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
        if names <= invariant | {"np"} and target not in names:
            before.append(line)
            invariant.add(target)
            continue
        after.append(f"{target} = {ast.unparse(_Hoist(invariant, hoisted).visit(tree))}")
    before += [f"{name} = {source}" for source, name in hoisted.items()]
    return before, after


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


def compile_loop(py_file: str | Path, constants: list[str], outputs: list[str]):
    """Compile the generated ``euler_loop`` function of a translated model; return it and its source."""
    source = generate_source(read_translation(py_file), constants, outputs)
    namespace = {"np": np}
    exec(compile(source, f"<generated from {Path(py_file).name}>", "exec"), namespace)
    return namespace["euler_loop"], source
