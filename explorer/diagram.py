"""Stock-and-flow diagram of one sector in Graphviz DOT, from the equations of the ``.mdl``.

The diagram draws what the sector's Vensim view draws (:mod:`diagrams.sketch`; the structure from
:mod:`diagrams.structure`): the sector's stocks as boxes, each flow on its way from one stock (or a
cloud) to another, the sector's auxiliaries, and in grey the variables of other sectors it uses. Its
dependencies are read from the equations and checked against PySD's in the tests, so the picture
cannot drift from the model.
"""

from __future__ import annotations

from diagrams.structure import Structure


def _node_id(name: str) -> str:
    return '"' + name.replace('"', "'") + '"'


def sector_dot(structure: Structure, sector: str, *, show_constants: bool = False, highlight=()) -> str:
    """DOT source of ``sector``: stocks, flows (bold, through their valves), auxiliaries, shadows.

    An arrow ``a -> b`` means ``b``'s equation uses ``a``. Constants (variables whose equation uses
    no other variable) are left out unless ``show_constants``. ``highlight`` (canonical names, a
    feedback loop) is drawn in red: its variables and the arrows between them.
    """
    s = structure
    members = [n for n in s.equations if s.home[n] == sector]
    if not members:
        raise ValueError(f"unknown sector {sector!r}; sectors: {', '.join(dict.fromkeys(s.home.values()))}")
    shown = {n for n in members if show_constants or not _constant(s, n)}
    lines = ["digraph sector {", "  rankdir=LR; node [fontsize=11, fontname=Helvetica]; edge [color=gray45];"]
    pipes = _pipes(s, members)
    lines += [_node_line(s, name, pipes) for name in sorted(shown)]
    edges, extra = _reference_edges(s, members, shown, pipes, show_constants)
    for a, b in sorted(pipes):  # each touches a stock of this sector; a flow from elsewhere is an extra
        extra |= {a, b} - shown
        edges.append(f"  {_node_id(a)} -> {_node_id(b)} [style=bold, color=black, penwidth=2];")
    for name in sorted(extra):
        label = s.equations[name].name
        lines.append(
            f'  {_node_id(name)} [label="{label}", shape=ellipse, style=dashed, fontcolor=gray40, color=gray60];'
        )
    more_lines, more_edges = _loop_closers(s, highlight, shown, extra)
    lines, edges = lines + more_lines, edges + more_edges
    marked = set(highlight)
    lines = [_red(line) if _declares(line, marked) else line for line in lines]
    edges = [_red(edge) if _joins(edge, marked) else edge for edge in edges]
    return "\n".join([*lines, *dict.fromkeys(edges), "}"])


def _constant(s: Structure, name: str) -> bool:
    """A variable whose equation uses no other variable (and is not a stock)."""
    return not s.references[name] and not s.equations[name].is_stock


def _pipes(s: Structure, members: list[str]) -> set[tuple[str, str]]:
    """The (from, to) pairs of the flows into and out of the sector's stocks."""
    pipes = set()
    for stock in (n for n in members if s.equations[n].is_stock):
        for sign, flow in s.flows.get(stock, []):
            pipes.add((stock, flow) if sign < 0 else (flow, stock))
    return pipes


def _node_line(s: Structure, name: str, pipes: set[tuple[str, str]]) -> str:
    """A shown variable's node: a stock, a flow, a constant or an auxiliary."""
    equation = s.equations[name]
    if equation.is_stock:
        style = "shape=box, style=filled, fillcolor=lightblue"
    elif any(name in pair for pair in pipes):
        style = "shape=ellipse, style=filled, fillcolor=lightyellow"  # a flow
    elif _constant(s, name):
        style = "shape=plaintext"
    else:
        style = "shape=ellipse"
    return f'  {_node_id(name)} [label="{equation.name}", {style}];'


def _reference_edges(s: Structure, members, shown: set[str], pipes, show_constants: bool) -> tuple[list[str], set[str]]:
    """The arrows into the shown variables (not those the pipes draw), and the variables of other
    sectors they come from."""
    edges, extra = [], set()
    for name in sorted(shown):
        for reference in s.references[name]:
            if (reference, name) in pipes or (s.equations[name].is_stock and (name, reference) in pipes):
                continue  # a stock and its flows: drawn as the pipes
            if reference not in shown and (reference in members or (not show_constants and _constant(s, reference))):
                continue  # a hidden constant of this or another sector
            if reference not in members:
                extra.add(reference)
            edges.append(f"  {_node_id(reference)} -> {_node_id(name)};")
    return edges, extra


def _loop_closers(s: Structure, highlight, shown: set[str], extra: set[str]) -> tuple[list[str], list[str]]:
    """A loop's variables of other sectors, and their arrows, so that the highlighted loop closes."""
    lines, edges = [], []
    for name in sorted(set(highlight) - shown - extra):
        if name not in s.equations:
            continue
        lines.append(f'  {_node_id(name)} [label="{s.equations[name].name}", shape=ellipse, style=dashed];')
        for reference in s.references[name]:
            if reference in highlight:
                edges.append(f"  {_node_id(reference)} -> {_node_id(name)};")
        for other in highlight:
            if other in shown and name in s.references.get(other, []):
                edges.append(f"  {_node_id(name)} -> {_node_id(other)};")
    return lines, edges


def _red(line: str) -> str:
    """A node or an arrow drawn in red (attributes added to its list, or a list added)."""
    if line.endswith("];"):
        return line[:-2] + ", color=red, penwidth=2.5, fontcolor=red];"
    return line[:-1] + " [color=red, penwidth=2.5];"


def _declares(line: str, names: set[str]) -> bool:
    """A node line of one of ``names``."""
    return any(line.startswith(f"  {_node_id(name)} [") for name in names)


def _joins(edge: str, names: set[str]) -> bool:
    """An arrow between two of ``names``."""
    return any(edge.startswith(f"  {_node_id(a)} -> ") for a in names) and any(
        f"-> {_node_id(b)}" in edge for b in names
    )
