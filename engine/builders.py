"""One builder per construct that PySD translates to an object: its part of the generated loop.

PySD translates ``INTEG``, ``DELAY1``, ``SMOOTH``, ``TREND``, ``INITIAL`` and their kin to objects of
its own (``Integ(...)``, ``Delay(...)``, ...) that the translated module constructs once and whose
variables return their output, and a hard-coded lookup to a ``HardcodedLookups`` object; PySD builds
each from a builder of its own (``pysd.builders.python.python_expressions_builder``). Here too: a
:class:`Builder` reads one such object from the translated module and writes the lines it needs in
each part of the loop that :func:`engine.codegen.generate_source` assembles (its state read
from PySD's initial state, its output, its derivative, its Euler update). :data:`REGISTRY` maps
PySD's class names to builders; an object of any other class is refused with
:class:`NotImplementedError` naming the Vensim function.

Adding a construct is one subclass of :class:`Builder` and its entry in :data:`REGISTRY` (and, when
PySD's initial state holds more than ``element.state``, the reading of it in
:meth:`engine.runner.Engine._initialise`).
"""

from __future__ import annotations

import ast
import itertools
from typing import ClassVar, Protocol


class Code(Protocol):
    """What a builder asks of the generator (:class:`engine.codegen.Writer`)."""

    def expr(self, node: ast.expr) -> str:
        """PySD's expression ``node`` as generated code."""

    def reads(self, *nodes: ast.expr) -> tuple[list[str], set[str]]:
        """The generated code of ``nodes``, and the model's variables they read."""

    def shaped(self, name: str, text: str) -> str:
        """``text``, the value of variable ``name``, with its dimensions in PySD's order and runs last."""

    def builtin(self, function: str, *args: str) -> str:
        """The NumPy form of one of PySD's builtins (``zidz``, ...) applied to ``args``."""


def lambda_body(node: ast.expr) -> ast.expr:
    """The expression of a ``lambda: ...`` argument of a PySD object (refused if it is something else)."""
    if not isinstance(node, ast.Lambda):
        raise NotImplementedError(f"expected a lambda in the PySD translation, got {ast.dump(node)[:80]}")
    return node.body


class Builder:
    """The generated code of one variable defined by a PySD object.

    Each method writes the variable's lines for one part of the loop (none by default); the lines
    read PySD's names for the model's variables and names of the builder's own that start with
    ``_{name}`` or ``_<something>_{name}``.

    Parameters
    ----------
    name : str
        Python name of the variable (PySD's name of the object for an object called inside an
        expression, ``DELAY1(a, 2) + 1``).
    stateful : str
        Name of the object in the translated module: the key of its state in PySD's initial state.
    call : ast.Call
        The object's construction in the translated module.
    """

    #: PySD's class of the object.
    kind: ClassVar[str] = ""
    #: The Vensim function behind it, for messages a modeller can read.
    vensim: ClassVar[str] = ""
    #: True when the output reads auxiliaries: it is placed among them in dependency order.
    ordered: ClassVar[bool] = False

    def __init__(self, name: str, stateful: str, call: ast.Call):
        self.name = name
        self.stateful = stateful
        #: Variables the output reads (for an ordered output), found by :meth:`visit`.
        self.dependencies: set[str] = set()

    @property
    def variables(self) -> set[str]:
        """Names the loop defines that PySD's expressions read as ``name()``."""
        return {self.name}

    @property
    def functions(self) -> set[str]:
        """Names PySD's expressions call with arguments (lookups)."""
        return set()

    @property
    def invariant(self) -> set[str]:
        """Names the loop defines once and never changes."""
        return set()

    def resolve(self, orders: dict[str, int]) -> None:
        """Take the order PySD gave the object at initialisation (``orders``: by stateful name)."""

    def visit(self, code: Code) -> None:
        """Turn PySD's expressions of the object into generated code, once, before any line is written."""

    def initial(self, code: Code) -> list[str]:
        """Before the loop: the state read from PySD's initial state ``s``."""
        return []

    def output(self, code: Code) -> str | None:
        """The variable's value at the start of a step; None when the state itself is the variable."""
        return None

    def derivative(self, code: Code) -> list[str]:
        """After the outputs are saved: the change of the state, from values at the start of the step."""
        return []

    def update(self, code: Code) -> list[str]:
        """After every derivative: the state at the next step."""
        return []

    @classmethod
    def lines(cls, part: str, builders: list[Builder], code: Code) -> list[str]:
        """One part of the loop (:meth:`initial`, :meth:`derivative` or :meth:`update`) for every
        variable of this construct."""
        return [line for builder in builders for line in getattr(builder, part)(code)]


class Integ(Builder):
    """A stock: ``INTEG(rate, initial)``; PySD's Euler step ``state + ddt * dt``."""

    kind = "Integ"
    vensim = "INTEG"

    def __init__(self, name: str, stateful: str, call: ast.Call):
        super().__init__(name, stateful, call)
        self.ddt = lambda_body(call.args[0])

    def visit(self, code: Code) -> None:
        self.ddt_code = code.expr(self.ddt)

    def initial(self, code: Code) -> list[str]:
        return [f"{self.name} = {code.shaped(self.name, f's[{self.stateful!r}]')}"]

    def derivative(self, code: Code) -> list[str]:
        return [f"_ddt_{self.name} = {self.ddt_code}"]

    def update(self, code: Code) -> list[str]:
        return [f"{self.name} = {code.shaped(self.name, f'{self.name} + _ddt_{self.name} * dt')}"]


class Staged(Builder):
    """A construct whose state is a chain of ``order`` stages (``Delay``, ``DelayN``, ``Smooth``):
    PySD's arguments ``(input, time, initial, order, ...)``, each stage stepped as a stock."""

    def __init__(self, name: str, stateful: str, call: ast.Call):
        super().__init__(name, stateful, call)
        self.source, self.time = lambda_body(call.args[0]), lambda_body(call.args[1])
        order = lambda_body(call.args[3])  # an expression: PySD fixes the order at initialisation
        self.written_order = int(order.value) if isinstance(order, ast.Constant) else None

    def resolve(self, orders: dict[str, int]) -> None:
        order = orders.get(self.stateful, self.written_order)
        if order is None:
            message = f"{self.name}: an order that is an expression is known only after PySD's initialisation"
            raise NotImplementedError(message)
        self.order = int(order)

    def visit(self, code: Code) -> None:
        self.source_code, self.time_code = code.expr(self.source), code.expr(self.time)

    def initial(self, code: Code) -> list[str]:
        name, k, state = self.name, self.order, f"s[{self.stateful!r}]"
        # PySD lowers a delay's order when order x TIME STEP exceeds the delay time: refuse, never step wrongly
        check = (
            f"if len({state}) != {k}: raise NotImplementedError('{name}: PySD set its order to ' "
            f"+ str(len({state})) + ', the generated loop has {k}')"
        )
        return [check] + [f"_{name}_{i} = {code.shaped(name, f'{state}[{i}]')}" for i in range(k)]

    def update(self, code: Code) -> list[str]:
        name = self.name
        return [f"_{name}_{i} = {code.shaped(name, f'_{name}_{i} + _ddt_{name}_{i} * dt')}" for i in range(self.order)]

    def _stages(self, times: list[str]) -> list[str]:
        """PySD's ``Delay.ddt``: each stage's outflow is its state over its delay time (``times[i]``), its
        inflow the previous stage's outflow (the input for the first), times the order."""
        name, k = self.name, self.order
        lines = [f"_out_{name}_{i} = _{name}_{i} / {times[i]}" for i in range(k)]
        lines.append(f"_in_{name} = {self.source_code}")
        inflows = [f"_in_{name}"] + [f"_out_{name}_{i}" for i in range(k - 1)]
        return lines + [f"_ddt_{name}_{i} = ({inflows[i]} - _out_{name}_{i}) * {k}" for i in range(k)]


class Delay(Staged):
    """``DELAY1``, ``DELAY3`` (``DELAY1I``, ``DELAY3I``): the output is the last stage over the delay
    time, which may be an auxiliary of the same step."""

    kind = "Delay"
    vensim = "DELAY1/DELAY3"
    ordered = True

    def visit(self, code: Code) -> None:
        self.source_code = code.expr(self.source)
        (self.time_code,), self.dependencies = code.reads(self.time)

    def output(self, code: Code) -> str:
        return code.shaped(self.name, f"_{self.name}_{self.order - 1} / ({self.time_code})")

    def derivative(self, code: Code) -> list[str]:
        return [f"_dtime_{self.name} = {self.time_code}", *self._stages([f"_dtime_{self.name}"] * self.order)]


class DelayN(Staged):
    """``DELAY N``: as ``DELAY1``/``DELAY3``, but PySD keeps the delay time of each stage; they roll,
    the newest first, and the output is the last stage over the first stage's time."""

    kind = "DelayN"
    vensim = "DELAY N"

    def initial_times(self, code: Code) -> list[str]:
        """Before the loop: the delay time of each stage, from PySD's initial state."""
        times = repr(self.stateful + ".times")
        return [f"_{self.name}_t{i} = {code.shaped(self.name, f's[{times}][{i}]')}" for i in range(self.order)]

    @classmethod
    def lines(cls, part: str, builders: list[Builder], code: Code) -> list[str]:
        lines = super().lines(part, builders, code)
        # The stage times of every DELAY N after the stages of all: the generator's order before builders,
        # kept so the generated text is unchanged (each line reads ``s`` only, so any order gives the same numbers).
        if part == "initial":
            lines += [line for builder in builders for line in builder.initial_times(code)]
        return lines

    def output(self, code: Code) -> str:
        return f"_{self.name}_{self.order - 1} / _{self.name}_t0"

    def derivative(self, code: Code) -> list[str]:
        name, k = self.name, self.order
        lines = [f"_{name}_t{i} = _{name}_t{i - 1}" for i in range(k - 1, 0, -1)]
        lines.append(f"_{name}_t0 = {self.time_code}")
        return lines + self._stages([f"_{name}_t{i}" for i in range(k)])


class Smooth(Staged):
    """``SMOOTH``, ``SMOOTH3`` and their ``I`` and ``N`` forms; PySD: the output is the last stage,
    the derivative (the state rolled with the input first - the state) * order / smooth time."""

    kind = "Smooth"
    vensim = "SMOOTH"

    def output(self, code: Code) -> str:
        return f"_{self.name}_{self.order - 1}"

    def derivative(self, code: Code) -> list[str]:
        name, k = self.name, self.order
        inflows = [self.source_code] + [f"_{name}_{i}" for i in range(k - 1)]
        return [f"_stime_{name} = {self.time_code}"] + [
            f"_ddt_{name}_{i} = (({inflows[i]}) - _{name}_{i}) * {k} / _stime_{name}" for i in range(k)
        ]


class DelayFixed(Builder):
    """``DELAY FIXED``; PySD: a pipeline of inputs and a pointer into it; each step ``pipe[pointer] =
    input``, the pointer moves on, and the state is ``pipe[pointer]``."""

    kind = "DelayFixed"
    vensim = "DELAY FIXED"

    def __init__(self, name: str, stateful: str, call: ast.Call):
        super().__init__(name, stateful, call)
        self.source = lambda_body(call.args[0])

    def visit(self, code: Code) -> None:
        self.source_code = code.expr(self.source)

    def initial(self, code: Code) -> list[str]:
        pipe = repr(self.stateful + ".pipe")
        return [f"_{self.name}_pipe = list(s[{pipe}])", f"_{self.name}_at = 0", f"{self.name} = s[{self.stateful!r}]"]

    def derivative(self, code: Code) -> list[str]:
        return [f"_in_{self.name} = {self.source_code}"]

    def update(self, code: Code) -> list[str]:
        name = self.name
        return [
            f"_{name}_pipe[_{name}_at] = _in_{name}",
            f"_{name}_at = (_{name}_at + 1) % len(_{name}_pipe)",
            f"{name} = _{name}_pipe[_{name}_at]",
        ]


class Initial(Builder):
    """``INITIAL``: the value PySD computed at the start, fixed for the run."""

    kind = "Initial"
    vensim = "INITIAL"

    @property
    def invariant(self) -> set[str]:
        return {self.name}

    def initial(self, code: Code) -> list[str]:
        return [f"{self.name} = s[{self.stateful!r}]"]


class Trend(Builder):
    """``TREND``; PySD: the output ``zidz(input - state, average time * abs(state))``, the
    derivative ``(input - state) / average time``."""

    kind = "Trend"
    vensim = "TREND"
    ordered = True

    def __init__(self, name: str, stateful: str, call: ast.Call):
        super().__init__(name, stateful, call)
        self.source, self.time = lambda_body(call.args[0]), lambda_body(call.args[1])

    def visit(self, code: Code) -> None:
        (self.source_code, self.time_code), used = code.reads(self.source, self.time)
        # A copy, as before builders: a set's iteration order decides the order of independent lines.
        self.dependencies = set(used)

    def initial(self, code: Code) -> list[str]:
        return [f"_{self.name}_state = s[{self.stateful!r}]"]

    def output(self, code: Code) -> str:
        state = f"_{self.name}_state"
        zidz = code.builtin("zidz", f"({self.source_code}) - {state}", f"({self.time_code}) * np.abs({state})")
        return code.shaped(self.name, zidz)

    def derivative(self, code: Code) -> list[str]:
        return [f"_ddt_{self.name}_state = (({self.source_code}) - _{self.name}_state) / ({self.time_code})"]

    def update(self, code: Code) -> list[str]:
        return [f"_{self.name}_state = _{self.name}_state + _ddt_{self.name}_state * dt"]


class Lookup(Builder):
    """A one-dimensional hard-coded lookup (``WITH LOOKUP``, a lookup table): PySD's expressions call
    it with an argument, interpolated linearly between its points (``np.interp``)."""

    kind = "HardcodedLookups"
    vensim = "lookup"

    def __init__(self, name: str, stateful: str, call: ast.Call):
        super().__init__(name, stateful, call)
        if call.args[2].__class__ is not ast.Dict or call.args[2].keys:
            raise NotImplementedError(f"{name}: only one-dimensional hard-coded lookups are supported")
        interp = ast.literal_eval(call.args[3])
        if interp != "interpolate":
            raise NotImplementedError(f"{name}: lookup interpolation {interp!r} is not supported")
        self.x, self.y = ast.literal_eval(call.args[0]), ast.literal_eval(call.args[1])

    @property
    def variables(self) -> set[str]:
        return set()

    @property
    def functions(self) -> set[str]:
        return {self.name}

    @property
    def invariant(self) -> set[str]:
        return {f"_lx_{self.name}", f"_ly_{self.name}"}

    def initial(self, code: Code) -> list[str]:
        return [
            f"_lx_{self.name} = np.asarray({self.x!r}, dtype=float)",
            f"_ly_{self.name} = np.asarray({self.y!r}, dtype=float)",
        ]


#: PySD's class of an object -> its builder, in the order of their lines in each part of the loop
#: (where :data:`ORDER` does not say otherwise).
REGISTRY: dict[str, type[Builder]] = {
    builder.kind: builder for builder in (Lookup, Integ, Delay, Smooth, DelayN, DelayFixed, Initial, Trend)
}

#: The Vensim functions behind PySD objects the generator refuses, for refusals a modeller can read.
REFUSED = {
    "SampleIfTrue": "SAMPLE IF TRUE",
    "Forecast": "FORECAST",
    "ExtConstant": "GET XLS CONSTANTS / GET DIRECT CONSTANTS",
    "ExtData": "GET XLS DATA / GET DIRECT DATA",
    "ExtLookup": "GET XLS LOOKUPS / GET DIRECT LOOKUPS",
    "Macro": ":MACRO:",
}

#: The order of the constructs in the parts of the loop where it is not :data:`REGISTRY`'s. Any order
#: gives the same numbers (in a part, each variable writes names of its own only, and reads only what
#: earlier parts wrote; :meth:`Builder.visit` writes nothing and decides only which refusal comes
#: first); these are the orders of the generator before it had builders, kept so that the generated
#: text did not change. A construct not named comes after those named, in :data:`REGISTRY`'s order.
ORDER = {
    "visit": ("Integ", "Delay", "DelayN", "Trend", "Smooth", "DelayFixed"),
    "derivative": ("Integ", "Delay", "DelayN", "Smooth", "Trend", "DelayFixed"),
    "update": ("Integ", "Trend", "Delay", "Smooth", "DelayN", "DelayFixed"),
}


def build(name: str, stateful: str, call: ast.Call | None) -> Builder:
    """The builder of variable ``name``, defined by the object ``stateful`` constructed by ``call``.

    Raises
    ------
    NotImplementedError
        For an object of a class no builder knows, naming the Vensim function behind it.
    """
    kind = getattr(call.func, "id", None) if call is not None else None
    if kind not in REGISTRY:
        vensim = REFUSED.get(kind, kind)
        raise NotImplementedError(f"{name}: PySD object {kind} ({vensim}) has no generated form")
    return REGISTRY[kind](name, stateful, call)


def in_order(builders, part: str) -> list[Builder]:
    """``builders`` in the order of their lines in ``part`` of the loop (:data:`ORDER`), each construct's
    in the order of the translated module."""
    rank = {kind: i for i, kind in enumerate(dict.fromkeys([*ORDER.get(part, ()), *REGISTRY]))}
    return sorted(builders, key=lambda builder: rank[builder.kind])


def part_lines(builders, part: str, code: Code) -> list[str]:
    """The lines of every builder for ``part`` of the loop (``"initial"``, ``"derivative"``, ``"update"``)."""
    lines = []
    for _, group in itertools.groupby(in_order(builders, part), key=lambda builder: builder.kind):
        group = list(group)
        lines += type(group[0]).lines(part, group, code)
    return lines
