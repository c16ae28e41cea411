"""Stock-and-flow diagram in Graphviz DOT, generated from PySD's dependency data."""

from __future__ import annotations

from sd_model import Model


def structure_dot(model: Model, *, show_constants: bool = False) -> str:
    """DOT source of the model: stocks as boxes, flows and auxiliaries as ellipses.

    An edge ``a -> b`` means ``b``'s equation uses ``a``; a stock's edges come from the flows in its
    ``INTEG``, drawn bold.
    """
    deps = model._pysd.dependencies
    doc = model._pysd.doc
    kind = dict(zip(doc["Py Name"], doc["Type"], strict=True))
    real = dict(zip(doc["Py Name"], doc["Real Name"], strict=True))
    real = {k: v for k, v in real.items() if k not in ("time", "initial_time", "final_time", "time_step", "saveper")}
    lines = ["digraph model {", "  rankdir=LR; node [fontsize=10, fontname=Helvetica]; edge [color=gray50];"]
    for name, label in real.items():
        if kind[name] == "Constant" and not show_constants:
            continue
        shape = {"Stateful": "box, style=filled, fillcolor=lightblue", "Constant": "plaintext", "Lookup": "note"}.get(
            kind[name], "ellipse"
        )
        lines.append(f'  {name} [label="{label}", shape={shape}];')

    def visible(name):
        return name in real and (show_constants or kind.get(name) != "Constant")

    for name in real:
        entry = deps.get(name) or {}
        if not visible(name):
            continue
        for source, _ in entry.items():
            if source.startswith("_integ_") or source.startswith("_delay_"):
                stateful = deps[source]
                for flow in stateful.get("step", {}):
                    if visible(flow):
                        style = "bold" if source.startswith("_integ_") else "dashed"
                        lines.append(f"  {flow} -> {name} [style={style}, color=black];")
            elif source.startswith("_"):
                continue
            elif visible(source):
                lines.append(f"  {source} -> {name};")
    lines.append("}")
    return "\n".join(lines)
