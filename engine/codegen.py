"""Straight-line NumPy code generated from PySD's translation of the model.

PySD evaluates a model by calling one Python function per variable per time step through caching
wrappers; for this model that is about 50,000 calls a run. This module reads the translated file
that PySD wrote (with :mod:`ast`), takes each variable's expression exactly as PySD wrote it, and
emits one function that evaluates the auxiliaries in dependency order and takes PySD's Euler step
(``state + ddt * dt``) for every stock, delay, smooth and trend, in a plain loop. Each construct
that PySD translates to an object has a builder of its own (:mod:`engine.builders`), which
writes its lines in each part of the loop. The same code runs on floats (one run) and on arrays of
shape ``(n,)`` (a batch). Initial states come from PySD itself (``Model.initialize``). Nothing is
written by hand: a model that uses a construct this generator does not know is refused with
:class:`NotImplementedError`, and the tests compare every output with PySD's own ``run``.
"""

from __future__ import annotations

import ast
import copy
import graphlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .builders import Builder, build, in_order, part_lines

#: Python names of the simulation controls PySD exposes as functions -> plain names in the generated code
CONTROL = {
    "time": "t",
    "time_step": "dt",
    "initial_time": "initial_time",
    "final_time": "final_time",
    "saveper": "saveper",
}


@dataclass
class Translation:
    """What the generator needs from a translated model."""

    expressions: dict[str, ast.expr]  # auxiliaries and constants: name -> return expression
    #: variables defined by a PySD object (stocks, delays, smooths, ..., lookups) -> the builder of each
    builders: dict[str, Builder] = field(default_factory=dict)
    bodies: dict[str, list[ast.stmt]] = field(default_factory=dict)  # a definition in several statements (EXCEPT, ...)
    subscripts: dict[str, list[str]] = field(default_factory=dict)  # subscripted variable -> its dimensions
    subscript_dict: dict[str, list[str]] = field(default_factory=dict)  # dimension -> elements
    functions: set[str] = field(default_factory=set)  # names the module imports from pysd.py_backend.functions
    #: PySD name -> name in the generated code, for a variable named as one of the loop's own names (:data:`LOOP_NAMES`)
    renamed: dict[str, str] = field(default_factory=dict)

    @property
    def arrays(self) -> bool:
        """True when some variable is subscripted: values are DataArrays with a ``run`` dimension."""
        return bool(self.subscripts)

    def local(self, name: str) -> str:
        """The name in the generated code of the variable PySD names ``name``."""
        return self.renamed.get(name, name)


def _decorator_subscripts(node: ast.FunctionDef) -> list[str]:
    for decorator in node.decorator_list:
        for keyword in getattr(decorator, "keywords", []):
            if keyword.arg == "subscripts":
                return list(ast.literal_eval(keyword.value))
    return []


def _is_component(node: ast.stmt) -> bool:
    """A function PySD registers as a variable of the model (``@component.add(...)``)."""
    return isinstance(node, ast.FunctionDef) and any(
        isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "add" for d in node.decorator_list
    )


@dataclass
class _Module:
    """The parts of a translated module, as :func:`read_translation` finds them statement by statement."""

    calls: dict[str, ast.Call] = field(default_factory=dict)  # PySD object (``_integ_stock``) -> its construction
    objects: dict[str, str] = field(default_factory=dict)  # variable -> the object whose output it returns
    lookups: dict[str, str] = field(default_factory=dict)  # variable -> the lookup object it calls
    expressions: dict[str, ast.expr] = field(default_factory=dict)
    bodies: dict[str, list[ast.stmt]] = field(default_factory=dict)
    subscripts: dict[str, list[str]] = field(default_factory=dict)
    subscript_dict: dict[str, list[str]] = field(default_factory=dict)
    functions: set[str] = field(default_factory=set)

    def read(self, node: ast.stmt) -> None:
        if isinstance(node, ast.ImportFrom) and node.module == "pysd.py_backend.functions":
            self.functions |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Assign):
            self._assign(node)
        elif _is_component(node) and node.name not in CONTROL:
            self._component(node)

    def _assign(self, node: ast.Assign) -> None:
        target = node.targets[0].id if isinstance(node.targets[0], ast.Name) else None
        value = node.value
        if target == "_subscript_dict":
            self.subscript_dict = ast.literal_eval(value)
        elif isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and target and target.startswith("_"):
            self.calls[target] = value  # a PySD object

    def _component(self, node: ast.FunctionDef) -> None:
        if dims := _decorator_subscripts(node):
            self.subscripts[node.name] = dims
        statements = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if len(statements) > 1 or not isinstance(statements[0], ast.Return):
            self.bodies[node.name] = statements
            return
        value = statements[0].value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id.startswith("_"):
            objects = self.lookups if value.func.id.startswith("_hardcodedlookup_") else self.objects
            objects[node.name] = value.func.id
        else:
            self.expressions[node.name] = value


#: The generated loop's own names (its arguments and counters, the names :mod:`engine.compiled`
#: gives the kernel it makes of the loop, the modules it reads): a model variable PySD names so (``c`` in
#: a model with constants ``a``, ``b`` and ``c``) is renamed in the generated code, never shadowing them.
LOOP_NAMES = {
    *("c", "s", "t", "dt", "steps", "per_save", "out", "n", "step", "save", "euler_loop"),
    *("r", "t0", "C", "S", "run_one", "kernel", "kernel_serial", "njit", "prange", "np", "xr"),
}


class _Rename(ast.NodeTransformer):
    """Rename model variables (their definitions and every ``name(...)`` call) in a translated module."""

    def __init__(self, names: dict[str, str]):
        self.names = names

    def visit_FunctionDef(self, node: ast.FunctionDef):
        node.name = self.names.get(node.name, node.name)
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in self.names:
            node.func.id = self.names[node.func.id]
        return node


def _renames(module: _Module) -> dict[str, str]:
    """Model variables named as one of :data:`LOOP_NAMES` or as a name a definition in several statements
    assigns (it becomes a local of a nested function of the loop) -> a name of their own (``c_``)."""
    variables = {*module.expressions, *module.bodies, *module.objects, *module.lookups}
    bodies = [s for body in module.bodies.values() for s in body]
    assigned = {n.id for s in bodies for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    taken = variables | LOOP_NAMES | GLOBALS | assigned
    renamed = {}
    for name in sorted(variables & (LOOP_NAMES | GLOBALS | assigned)):
        local = name + "_"
        while local in taken:
            local += "_"
        renamed[name] = local
        taken.add(local)
    return renamed


def read_translation(py_file: str | Path) -> Translation:
    """Parse the PySD-translated module into expressions, bodies and a builder per PySD object.

    Raises
    ------
    NotImplementedError
        For a PySD object no builder knows (:func:`engine.builders.build`), naming its Vensim function.
    """
    tree = ast.parse(Path(py_file).read_text(encoding="utf-8"))
    module = _Module()
    for node in tree.body:
        module.read(node)
    renamed = _renames(module)
    if renamed:  # read again, the clashing variables renamed everywhere
        module = _Module()
        for node in _Rename(renamed).visit(tree).body:
            module.read(node)
    # A stateful object called inside an expression (``DELAY1(a, 2) + DELAY3(b, 3)``) or inside another
    # object's arguments (``SMOOTH(DELAY3(a, 2), 3)``) becomes a variable of its own, named as PySD names the object.
    sources = [*module.expressions.values(), *(s for body in module.bodies.values() for s in body)]
    sources += [argument for call in module.calls.values() for argument in call.args]
    calls = [n for e in sources for n in ast.walk(e) if isinstance(n, ast.Call)]
    called = {n.func.id for n in calls if isinstance(n.func, ast.Name)}
    owned = set(module.objects.values())  # objects whose variable returns their output
    inline = {
        name: name
        for name in module.calls
        if name in called and name not in owned and not name.startswith("_hardcodedlookup_")
    }
    # Lookups last: a model's refusals name its stateful objects first.
    objects = module.objects | inline | module.lookups
    builders = {name: build(name, stateful, module.calls.get(stateful)) for name, stateful in objects.items()}
    return Translation(
        expressions=module.expressions,
        builders=builders,
        bodies=module.bodies,
        subscripts=module.subscripts,
        subscript_dict=module.subscript_dict,
        functions=module.functions,
        renamed=renamed,
    )


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
    phase = f"np.mod(t - {start} + 1e-06, _where({repeat} == 0, 1.0, {repeat}))"
    train = f"_where({window} & ({phase} < {width}), {out}, 0.0)"
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


def _is_mapping(node: ast.Call) -> bool:
    """``xr.DataArray(x.values, ...)``: PySD's subscript mapping."""
    func, args = node.func, node.args
    return (
        isinstance(func, ast.Attribute)
        and func.attr == "DataArray"
        and bool(args)
        and isinstance(args[0], ast.Attribute)
        and args[0].attr == "values"
    )


class _Rewrite(ast.NodeTransformer):
    """``name()`` -> ``name``; ``float(x)`` -> ``x``; ``lookup(x)`` -> ``np.interp(x, X, Y)``;
    ``step``/``ramp``/``pulse`` -> their time-dependent form; ``if_then_else`` -> ``_where``;
    :data:`BUILTINS` -> their NumPy form. With ``arrays`` (a subscripted model), ``.values`` and
    ``float`` go through :mod:`engine.arrays` and only known functions and methods are kept."""

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
        if self.arrays and _is_mapping(node):
            # xr.DataArray(x.values, coords, dims): a subscript mapping, the numbers relabelled by position
            node.args[0] = node.args[0].value
            self.generic_visit(node)
            return ast.Call(ast.Name("_relabel", ast.Load()), node.args, node.keywords)
        self.generic_visit(node)
        if not isinstance(node.func, ast.Name):
            return self._method(node)
        for rewrite in (self._value, self._time_function, self._builtin, self._table):
            new = rewrite(node, node.func.id)
            if new is not None:
                return new
        raise NotImplementedError(f"function {node.func.id}() in the PySD translation has no generated form")

    def _value(self, node: ast.Call, name: str) -> ast.expr | None:
        """``float(x)``, a control or a variable of the model (``name()``)."""
        if name == "float" and len(node.args) == 1:
            return ast.Call(ast.Name("_scalar", ast.Load()), node.args, []) if self.arrays else node.args[0]
        if name in CONTROL and not node.args:
            return ast.Name(CONTROL[name], ast.Load())
        if name in self.components and not node.args:
            self.used.add(name)
            return ast.Name(name, ast.Load())
        return None

    def _time_function(self, node: ast.Call, name: str) -> ast.expr | None:
        """STEP, RAMP, PULSE (PULSE TRAIN): their form in ``t`` and ``dt``."""
        if name in TIME_FUNCTIONS:
            arity, template = TIME_FUNCTIONS[name]
            args = node.args[1:]  # the first is PySD's time object
            if len(args) != arity or node.keywords:
                message = f"{name}() with {len(args)} arguments has no generated form (RAMP needs a finish)"
                raise NotImplementedError(message)
            return _parse(template.format(*(ast.unparse(a) for a in args)))
        if name == "pulse":
            keywords = {k.arg: ast.unparse(k.value) for k in node.keywords}
            return _parse(_pulse([ast.unparse(a) for a in node.args[1:]], keywords))
        return None

    def _builtin(self, node: ast.Call, name: str) -> ast.expr | None:
        """ACTIVE INITIAL, IF THEN ELSE and :data:`BUILTINS`."""
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
        return None

    def _table(self, node: ast.Call, name: str) -> ast.expr | None:
        """A lookup, interpolated; with ``arrays``, PySD's functions over named dimensions, kept."""
        if name in self.lookups:
            x = ast.Name(f"_lx_{name}", ast.Load())
            y = ast.Name(f"_ly_{name}", ast.Load())
            function = "_interp" if self.arrays else "np.interp"
            return ast.Call(_parse(function), [node.args[0], x, y], [])
        if self.arrays and name in ARRAY_FUNCTIONS | {"_relabel", "_scalar", "len"}:
            return node
        return None

    def _method(self, node: ast.Call) -> ast.expr:
        """A call of an attribute: NumPy's functions; with ``arrays``, xarray's and DataArray methods."""
        func = node.func
        if isinstance(func, ast.Attribute) and ast.unparse(func.value) == "np.random":
            message = f"np.random.{func.attr}() (a RANDOM function of Vensim): random draws have no generated form"
            raise NotImplementedError(message)
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


#: Names the generated code reads from its module: never loop variables, so loop invariant.
GLOBALS = {"np", "xr", "_where", "_subscript_dict", "_relabel", "_scalar", "_interp", "_last", "len", *ARRAY_FUNCTIONS}


class Writer:
    """PySD's expressions as generated code, for :func:`generate_source` and the builders
    (:class:`engine.builders.Code`).

    Parameters
    ----------
    translation : Translation
        The model.
    components : set of str
        Names of the model's variables, which PySD's expressions read as ``name()``.
    lookups : set of str
        Names of the lookups, which PySD's expressions call with an argument.
    """

    def __init__(self, translation: Translation, components: set[str], lookups: set[str]):
        self.translation = translation
        self.rewrite = _Rewrite(components, lookups, arrays=translation.arrays)

    def expr(self, node: ast.expr) -> str:
        """PySD's expression ``node`` as generated code."""
        return ast.unparse(self.rewrite.visit(_copy(node)))

    def reads(self, *nodes: ast.expr) -> tuple[list[str], set[str]]:
        """The generated code of ``nodes``, and the model's variables they read."""
        used = self.rewrite.used = set()
        texts = [self.expr(node) for node in nodes]
        self.rewrite.used = set()  # later expressions add nothing to ``used``
        return texts, used

    def shaped(self, name: str, text: str) -> str:
        """``text``, the value of ``name``; a subscripted value with its dimensions in PySD's order, run last."""
        tr = self.translation
        return f"_last({text}, {tuple(tr.subscripts[name])!r})" if tr.arrays and name in tr.subscripts else text

    def builtin(self, function: str, *args: str) -> str:
        """The NumPy form (:data:`BUILTINS`) of one of PySD's builtins applied to ``args``."""
        return BUILTINS[function][1].format(*args)


def generate_source(translation: Translation, constants: list[str], outputs: list[str], orders=None) -> str:
    """Source of ``euler_loop(c, s, t, dt, steps, per_save, out)``.

    ``c`` maps constant names (PySD names) to floats or arrays, ``s`` stateful names to initial
    states (a list of stages for delays and smooths), ``out`` is an array ``(columns, n, saves)``
    filled in place, one column per element of each output (:func:`output_elements`). ``orders``
    maps the stateful names of delays and smooths to the order PySD gave them at initialisation
    (PySD lowers an order that is too high for the time step, and computes one given as an
    expression); without it, the written order, and a refusal where there is none.

    The loop has five parts: before it, each builder's state read from ``s``
    (:meth:`~engine.builders.Builder.initial`); in each step, the outputs of the builders
    and the auxiliaries in dependency order, the saved rows, every builder's derivative, then every
    builder's update.
    """
    tr = translation
    keys = dict(zip(map(tr.local, constants), constants, strict=True))  # name in the loop -> key in ``c``
    constants, outputs = list(keys), [tr.local(name) for name in outputs]
    builders = list(tr.builders.values())
    for builder in in_order(builders, "resolve"):
        builder.resolve(orders or {})
    components = set(tr.expressions) | set(tr.bodies) | set().union(*(b.variables for b in builders))
    code = Writer(tr, components, set().union(*(b.functions for b in builders)))
    auxiliary_code, deps, functions = _auxiliaries(tr, constants, code)
    for builder in in_order(builders, "visit"):
        builder.visit(code)
    lines = ["def euler_loop(c, s, t, dt, steps, per_save, out):", "    n = out.shape[1]"]
    # A subscripted constant as every subscripted value of the loop: its dimensions in PySD's order, runs last
    # (and so never read as a number per run: the compiled kernel leaves such a loop to NumPy).
    lines += [f"    {name} = {code.shaped(name, f'c[{key!r}]')}" for name, key in keys.items()]
    lines += ["    initial_time = c['initial_time']", "    final_time = c['final_time']", "    saveper = c['saveper']"]
    lines += ["    " + line for line in part_lines(builders, "initial", code) + functions]
    lines += ["    save = 0", "    for step in range(steps + 1):"]
    auxiliaries = [n for n in [*tr.expressions, *tr.bodies] if n not in constants]
    body = _outputs(builders, code, auxiliaries, auxiliary_code, deps) + _saves(tr, outputs)
    body += ["if step == steps:", "    break"]
    body += part_lines(builders, "derivative", code) + part_lines(builders, "update", code)
    body.append("t = t + dt")
    invariant = set(constants) | {"initial_time", "final_time", "saveper", "dt", "n"} | GLOBALS
    invariant |= set().union(*(b.invariant for b in builders))
    before, body = hoist_invariants(body, invariant)
    if tr.arrays:  # the shape of each subscripted output: its elements, then the runs
        before += [_template(tr, name) for name in outputs if name in tr.subscripts]
    loop_start = lines.index("    for step in range(steps + 1):")
    lines[loop_start:loop_start] = ["    " + line for line in before]
    lines += ["        " + line for line in body]
    return "\n".join(lines) + "\n"


def _auxiliaries(tr: Translation, constants: list[str], code: Writer) -> tuple[dict, dict, list[str]]:
    """(name -> generated expression, name -> variables it reads, nested functions) of the auxiliaries."""
    auxiliary_code, deps, functions = {}, {}, []
    for name, expression in tr.expressions.items():
        (text,), used = code.reads(expression)
        auxiliary_code[name] = code.shaped(name, text)
        deps[name] = set(used)
    for name, statements in tr.bodies.items():
        if name in constants:
            continue  # PySD's value, as every constant's
        code.rewrite.used = set()
        functions += _body_function(name, statements, code.rewrite)
        auxiliary_code[name] = code.shaped(name, f"_def_{name}()")
        deps[name] = set(code.rewrite.used)
    return auxiliary_code, deps, functions


def _outputs(builders: list[Builder], code: Writer, auxiliaries, auxiliary_code, deps) -> list[str]:
    """The start of a step: the builders' outputs from their state alone, then the auxiliaries and the
    outputs that read them (delays, trends), each after the auxiliaries it reads."""
    body = []
    ordered = {}
    for builder in in_order(builders, "output"):
        if builder.ordered:
            ordered[builder.name] = builder
        elif (output := builder.output(code)) is not None:
            body.append(f"{builder.name} = {output}")
    # Sorted predecessors: the order of independent auxiliaries, and so the generated text, is the same
    # in every process (not that of a set, which changes with PYTHONHASHSEED); the compiled kernel's
    # cache is keyed by that text.
    graph = {n: sorted(d for d in deps[n] if d in auxiliaries or d in ordered) for n in auxiliaries}
    graph |= {name: sorted(d for d in builder.dependencies if d in auxiliaries) for name, builder in ordered.items()}
    try:
        full_order = list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as err:
        cycle = " -> ".join(err.args[1])
        raise NotImplementedError(f"the auxiliaries {cycle} form a cycle the generator cannot order") from None
    for name in full_order:
        if name in ordered:
            body.append(f"{name} = {ordered[name].output(code)}")
        elif name in auxiliary_code:
            body.append(f"{name} = {auxiliary_code[name]}")
    return body


def _saves(tr: Translation, outputs: list[str]) -> list[str]:
    """Every ``per_save`` steps: the outputs into their rows of ``out``."""
    body = ["if step % per_save == 0:"]
    row = 0
    for name in outputs:
        size = len(output_elements(tr, name))
        if tr.arrays and name in tr.subscripts:
            body.append(f"    out[{row}:{row + size}, :, save] = _flatten({name}, _tpl_{name})")
        else:
            body.append(f"    out[{row}, :, save] = {name}")
        row += size
    return [*body, "    save += 1"]


def _template(tr: Translation, name: str) -> str:
    """A zero DataArray shaped as the subscripted output ``name``: its elements, then the runs."""
    dims = tuple(tr.subscripts[name])
    sizes = tuple(len(tr.subscript_dict[d]) for d in dims)
    coords = f"{{d: _subscript_dict[d] for d in {dims!r}}}"
    return f"_tpl_{name} = xr.DataArray(np.zeros({sizes} + (n,)), {coords}, [*{dims!r}, 'run'])"


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
    ``DataArray`` taking values per run), the subscripts and :mod:`engine.arrays`' helpers."""
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
