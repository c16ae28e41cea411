"""Vensim sketch (the diagram views of a ``.mdl``) generated from the equations, and read back.

Vensim keeps a model's diagrams after its equations, in the plain-text sketch format of the
``.mdl`` (see Vensim's help, *Appendix > Files > .mdl Model Files > Sketch Information*). This
module lays out one view per sector (the equation groups ``.Relocation``, ``.Employment`` ...):
the sector's stocks in a row, each flow of a stock's ``INTEG`` as a valve with its pipes (to the
other stock, or to a cloud), the sector's other variables placed near what they are linked to, and a
grey shadow for each variable that lives in another sector. Every dependency of a variable is an
arrow. The structure it draws (sectors, dependencies, the flows of each stock) comes from
:mod:`diagrams.structure`, which the explorer's diagrams and the conservation tests also read. Vensim opens the
result as it is and lets a modeller rearrange it; :func:`read_sketch` reads any sketch back so that
a test can check that the views still agree with the equations.

    python -m sd_model sketch --write   # regenerate the views of models/relocation.mdl
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .structure import Structure, canonical, structure

SKETCH_MARK = "\\\\\\---/// Sketch information - do not modify anything except names"
VERSION_LINE = "V300  Do not put anything below this section - it will be ignored"
END_MARK = "///---\\\\\\"
FONT_LINE = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"

# Layout, in sketch pixels (positions are centres; stock sizes are half-width, half-height).
STOCK_GAP = 420  # between stocks in the row
ROW_Y = 250  # the stocks' row
STOCK_W, STOCK_H = 50, 25
CLOUD_DY = 120  # pipes to clouds run up (inflows) or down (outflows) this far
BRANCH_DY = 260  # a stock fed only from a row stock sits this far below it
CLOUD_DX = (0, -28, 28, -14, 14)  # where the pipes of several clouds meet a stock's edge
PARALLEL = ((0, 0), (-100, 14), (100, -14), (-50, 7), (50, -7))  # valve (dx, dy) of parallel pipes
CELL_W, CELL_H = 170, 50  # the grid that other variables are placed on


# ---------------------------------------------------------------- writing


@dataclass
class _View:
    title: str
    lines: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)  # canonical name -> id of its variable here
    positions: dict[int, tuple[int, int]] = field(default_factory=dict)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def variable(self, name: str, label: str, x: int, y: int, *, kind: str) -> int:
        """Add ``name`` (canonical) written as ``label``; kind is stock, flow (attached to the valve
        just added), aux or shadow."""
        i = self.new_id()
        width = max(30, min(60, 3 * len(label)))
        self.lines.append({
            "stock": f"10,{i},{label},{x},{y},{STOCK_W},{STOCK_H},3,3,0,0,0,0,0,0",
            "flow": f"10,{i},{label},{x},{y},{width},10,40,3,0,0,-1,0,0,0",
            "aux": f"10,{i},{label},{x},{y},{width},10,8,3,0,0,0,0,0,0",
            "shadow": f"10,{i},{label},{x},{y},{width},10,8,2,0,3,-1,0,0,0,128-128-128,0-0-0,|12||128-128-128",
        }[kind])  # fmt: skip
        self.ids.setdefault(name, i)
        self.positions[i] = (x, y)
        return i

    def cloud(self, x: int, y: int) -> int:
        i = self.new_id()
        self.lines.append(f"12,{i},48,{x},{y},10,8,0,3,0,0,-1,0,0,0")
        self.positions[i] = (x, y)
        return i

    def valve(self, x: int, y: int) -> int:
        i = self.new_id()
        self.lines.append(f"11,{i},48,{x},{y},6,8,34,3,0,0,1,0,0,0")
        self.positions[i] = (x, y)
        return i

    def pipe(self, valve: int, end: int, *, into: bool) -> None:
        """Pipe from a valve to the stock or cloud ``end``; ``into`` draws the arrowhead at ``end``."""
        (vx, vy), (ex, ey) = self.positions[valve], self.positions[end]
        shape = 4 if into else 100
        self.lines.append(
            f"1,{self.new_id()},{valve},{end},{shape},0,0,22,0,0,0,-1--1--1,,1|({(vx + ex) // 2},{(vy + ey) // 2})|"
        )

    def arrow(self, source: int, target: int) -> None:
        """Causal arrow (straight: its control point is the midpoint)."""
        (sx, sy), (tx, ty) = self.positions[source], self.positions[target]
        self.lines.append(
            f"1,{self.new_id()},{source},{target},0,0,0,0,0,64,0,-1--1--1,,1|({(sx + tx) // 2},{(sy + ty) // 2})|"
        )


def _links(stocks: list[str], s: Structure, group: str) -> dict[str, tuple[str | None, str | None]]:
    """Flow -> (source stock, sink stock) among ``stocks``, for the flows of ``group`` drawn as pipes."""
    links = {}
    for stock in stocks:
        for _, flow in s.flows.get(stock, []):
            if s.home[flow] == group and flow not in links:
                source = next((o for o in stocks if (-1, flow) in s.flows.get(o, [])), None)
                sink = next((o for o in stocks if (1, flow) in s.flows.get(o, [])), None)
                links[flow] = (source, sink if sink != source else None)
    return links


def _layout(stocks: list[str], links: dict) -> dict[str, tuple[int, int]]:
    """Stock positions: chains of stocks along a row; a second stock fed by a row stock below it."""
    outs: dict[str, list[str]] = {}
    for source, sink in links.values():
        if source and sink:
            outs.setdefault(source, []).append(sink)
    fed = {sink for source, sink in links.values() if source and sink}
    position, column = {}, 0
    for start in [n for n in stocks if n not in fed] + stocks:
        node = start
        while node is not None and node not in position:
            position[node] = (150 + STOCK_GAP * column, ROW_Y)
            column += 1
            free = [o for o in outs.get(node, []) if o not in position]
            for branch in free[1:]:
                position[branch] = (position[node][0], ROW_Y + BRANCH_DY)
            node = free[0] if free else None
    return position


def _place(
    movable: list[str],
    members: list[str],
    references: dict[str, list[str]],
    fixed: dict[str, tuple[int, int]],
    taken: list[tuple[int, int]],
) -> dict[str, tuple[int, int]]:
    """Positions for ``movable`` variables on a grid, each near the variables it is linked to.

    Each variable first goes to the mean position of its neighbours (repeated until settled, the
    stocks and flows staying put), then, most connected first, to the nearest free grid cell.
    """
    neighbours = {n: set() for n in movable}
    for name in members:
        for reference in references[name]:
            for a, b in ((name, reference), (reference, name)):
                if a in neighbours and b != a:
                    neighbours[a].add(b)
    columns = max(4, int(len(movable) ** 0.5) + 1)
    below = max((y for _, y in fixed.values()), default=ROW_Y) + CLOUD_DY
    position = {n: (120.0 + CELL_W * (k % columns), below + CELL_H * (k // columns)) for k, n in enumerate(movable)}
    for _ in range(60):
        for name in movable:
            around = [fixed.get(o) or position.get(o) for o in sorted(neighbours[name])]
            around = [p for p in around if p is not None]
            if around:
                position[name] = (sum(p[0] for p in around) / len(around), sum(p[1] for p in around) / len(around))
    occupied = set()
    for x, y in taken:  # stocks, valves, clouds and flow names keep their cells and the cells beside them
        column, row = round(x / CELL_W), round(y / CELL_H)
        occupied |= {(column + dc, row + dr) for dc in (-1, 0, 1) for dr in (-1, 0, 1) if dr == 0 or dc == 0}
    result = {}
    for name in sorted(movable, key=lambda n: (-len(neighbours[n]), n)):
        x, y = position[name]
        want = (round(x / CELL_W), round(y / CELL_H))
        cells = (
            (want[0] + dc, want[1] + dr)
            for radius in range(60)
            for dc in range(-radius, radius + 1)
            for dr in range(-radius, radius + 1)
            if max(abs(dc), abs(dr)) == radius
        )
        cell = next(c for c in cells if c not in occupied and c[0] >= 1 and c[1] >= 1)
        occupied.add(cell)
        result[name] = (cell[0] * CELL_W, cell[1] * CELL_H)
    return result


def _view(title: str, group: str, s: Structure) -> list[str]:
    view = _View(title)
    members = [n for n in s.equations if s.home[n] == group]
    stocks = [n for n in members if s.equations[n].is_stock]
    links = _links(stocks, s, group)
    at = _layout(stocks, links)
    for stock in stocks:
        view.variable(stock, s.equations[stock].name, *at[stock], kind="stock")
    parallel: dict[frozenset, int] = {}
    clouds: dict[tuple[str, int], int] = {}
    for flow, (source, sink) in links.items():
        label = s.equations[flow].name
        if source and sink:  # a pipe between two stocks: along the row, or down to a branch
            (x1, y1), (x2, y2) = at[source], at[sink]
            k = parallel.get(frozenset((source, sink)), 0)
            parallel[frozenset((source, sink))] = k + 1
            if y1 == y2:
                dx, dy = PARALLEL[k % len(PARALLEL)]
                x, y = (x1 + x2) // 2 + dx, y1 + dy
            else:
                x, y = x1 + CLOUD_DX[k % len(CLOUD_DX)], (y1 + y2) // 2
            valve = view.valve(x, y)
            view.variable(flow, label, x, y + (18 if k % 2 == 0 else -18), kind="flow")
            view.pipe(valve, view.ids[source], into=False)
            view.pipe(valve, view.ids[sink], into=True)
        else:  # from a cloud above (inflow) or to a cloud below (outflow)
            anchor, direction = (sink, -1) if sink else (source, 1)
            # Below a stock with a branch stock under it, the straight-down slot is the branch's pipe.
            branch_below = any(at[o][0] == at[anchor][0] and at[o][1] > at[anchor][1] for o in stocks)
            k = clouds.get((anchor, direction), 0) + (direction == 1 and branch_below)
            clouds[(anchor, direction)] = clouds.get((anchor, direction), 0) + 1
            x, y = at[anchor][0] + CLOUD_DX[k % len(CLOUD_DX)], at[anchor][1] + direction * CLOUD_DY
            cloud = view.cloud(x, y)
            valve = view.valve(x, (y + at[anchor][1]) // 2)
            side = -1 if CLOUD_DX[k % len(CLOUD_DX)] < 0 else 1
            view.variable(flow, label, x + side * (20 + 3 * len(label)), (y + at[anchor][1]) // 2, kind="flow")
            view.pipe(valve, cloud, into=anchor == source)
            view.pipe(valve, view.ids[anchor], into=anchor == sink)
    # Other variables, and shadows of those defined elsewhere, near what they are connected to.
    others = [n for n in members if n not in stocks and n not in links]
    shadows = sorted({r for n in members for r in s.references[n] if r not in view.ids and r not in others})
    fixed = {name: view.positions[i] for name, i in view.ids.items()}
    placed = _place(others + shadows, members, s.references, fixed, list(view.positions.values()))
    for name in others + shadows:
        kind = "aux" if name in others else "shadow"
        view.variable(name, s.equations[name].name, *placed[name], kind=kind)
    for name in members:
        # A stock's flows are its pipes; a flow that also feeds a second stock (its pipe runs to the
        # first) reaches the second by an arrow.
        piped_in = {f for _, f in s.flows.get(name, []) if f in links and name in links[f]}
        for reference in s.references[name]:
            if reference not in piped_in:
                view.arrow(view.ids[reference], view.ids[name])
    return [SKETCH_MARK, VERSION_LINE, f"*{title}", FONT_LINE, *view.lines]


def generate_sketch(mdl_file: str | Path) -> str:
    """The sketch section for ``mdl_file``: one view per sector, ending with Vensim's end mark."""
    s = structure(mdl_file)
    groups = list(dict.fromkeys(e.group for e in s.equations.values()))
    lines = []
    for number, group in enumerate(groups, start=1):
        lines += _view(f"{number} {group}", group, s)
    return "\n".join([*lines, END_MARK]) + "\n"


def write_sketch(mdl_file: str | Path) -> None:
    """Replace the sketch section of ``mdl_file`` (or append one) with :func:`generate_sketch`."""
    path = Path(mdl_file)
    equations = path.read_text(encoding="utf-8").split(SKETCH_MARK[:9], 1)[0].rstrip("\n") + "\n\n"
    path.write_text(equations + generate_sketch(path), encoding="utf-8")


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class SketchView:
    """One view as read back: its variables and its arrows, by canonical name."""

    title: str
    defined: frozenset[str]  # variables drawn as themselves (not shadows)
    shadows: frozenset[str]
    stocks: frozenset[str]
    arrows: frozenset[tuple[str, str]]  # (cause, effect) between variables
    pipes: frozenset[tuple[str, str, bool]]  # (flow, stock, into the stock)


def _read_variables(records: list[list[str]]) -> tuple[dict[int, str], set, set, set, set[int], dict[int, str]]:
    """From a view's records: its variables by id, the defined, stock and shadow names, the valve ids,
    and the flow attached to each valve."""
    names, defined, stocks, shadows, valves, attached = {}, set(), set(), set(), set(), {}
    previous = None
    for r in records:
        if r[0] == "10":
            name = canonical(r[2])
            names[int(r[1])] = name
            if r[7] == "3":
                stocks.add(name)
            (shadows if int(r[8]) % 2 == 0 else defined).add(name)  # bit 1 unset: a shadow
            if r[7] == "40" and previous is not None:
                attached[previous] = name  # a flow variable follows its valve
        elif r[0] == "11":
            valves.add(int(r[1]))
        previous = int(r[1]) if r[0] == "11" else None
    return names, defined, stocks, shadows, valves, attached


def _read_links(
    records: list[list[str]], names: dict[int, str], valves: set[int], attached: dict[int, str]
) -> tuple[set[tuple[str, str]], set[tuple[str, str, bool]]]:
    """From a view's records: its arrows (cause, effect) and pipes (flow, stock, into the stock)."""
    arrows, pipes = set(), set()
    for r in records:
        if r[0] != "1":
            continue
        source, target = int(r[2]), int(r[3])
        if source in valves:
            if target in names:
                pipes.add((attached[source], names[target], r[4] == "4"))
        elif source in names and target in names:
            arrows.add((names[source], names[target]))
        elif source in names and target in valves:
            arrows.add((names[source], attached[target]))
    return arrows, pipes


def read_sketch(mdl_file: str | Path) -> list[SketchView]:
    """The views of ``mdl_file``'s sketch section (empty if it has none)."""
    text = Path(mdl_file).read_text(encoding="utf-8")
    if SKETCH_MARK[:9] not in text:
        return []
    body = text.split(SKETCH_MARK[:9], 1)[1].split(END_MARK, 1)[0]
    views = []
    for chunk in body.split(SKETCH_MARK[:9]):
        lines = [line for line in chunk.split("\n") if line.strip()]
        title = next((line[1:] for line in lines if line.startswith("*")), "")
        records = [line.split(",") for line in lines if re.match(r"^(1|10|11|12),", line)]
        names, defined, stocks, shadows, valves, attached = _read_variables(records)
        arrows, pipes = _read_links(records, names, valves, attached)
        views.append(
            SketchView(
                title, frozenset(defined), frozenset(shadows), frozenset(stocks), frozenset(arrows), frozenset(pipes)
            )
        )
    return views
