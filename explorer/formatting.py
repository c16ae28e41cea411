"""How the explorer writes numbers: KPI values, changes from the baseline, slider steps."""

from __future__ import annotations

import math

from .charts import PERCENT


def format_kpi(name: str, value: float) -> str:
    """A KPI as a card shows it: rates in percent, counts and yuan with thousands separators."""
    if name in PERCENT:
        return f"{value:.1%}"
    return f"{value:,.0f}"


def format_delta(name: str, delta: float) -> str:
    """Change from the baseline as the card shows it: ``+1.2 pp`` or ``-3,400``; ``±0`` when it rounds away."""
    if name in PERCENT:
        text = f"{delta * 100:+.1f} pp"
        return "±0 pp" if text[1:] == "0.0 pp" else text
    text = f"{delta:+,.0f}"
    return "±0" if text[1:] == "0" else text


def slider_step(low: float, high: float) -> float:
    """A round step giving about 200 positions over ``[low, high]``."""
    return float(10 ** math.floor(math.log10((high - low) / 200)))


def step_decimals(step: float) -> int:
    """Decimals that show a value on a grid of ``step``."""
    return max(0, -int(f"{step:e}".split("e")[1]))
