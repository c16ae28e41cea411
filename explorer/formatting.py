"""How the explorer writes numbers: KPI values, changes from the baseline, slider steps."""

from __future__ import annotations

import math

from sd_model.formatting import format_number

from .charts import PERCENT, SCALED


def format_kpi(name: str, value: float, lang: str = "en") -> str:
    """A KPI as a card shows it: rates in percent, money in billions (亿 in Chinese) to three
    significant digits (4.28 bn, 42.8 亿元: a card at 1,400 px holds no more), counts with thousands
    separators."""
    if name in PERCENT:
        return f"{value:.1%}"
    if name in SCALED:
        factor, _, unit = SCALED[name][lang]
        scaled = value * factor
        decimals = max(0, 2 - math.floor(math.log10(abs(scaled)))) if scaled and math.isfinite(scaled) else 2
        return f"{scaled:,.{decimals}f} {unit}"
    return f"{value:,.0f}"


def format_delta(name: str, delta: float, lang: str = "en") -> str:
    """Change from the baseline as the card shows it: ``+1.2 pp``, ``-3,400`` or ``+0.12 bn``; ``±0``
    when it rounds away."""
    if name in PERCENT:
        unit = "个百分点" if lang == "zh" else "pp"
        text = f"{delta * 100:+.1f}"
        return f"±0 {unit}" if text[1:] == "0.0" else f"{text} {unit}"
    if name in SCALED:
        factor, _, unit = SCALED[name][lang]
        text = f"{delta * factor:+,.2f}"
        return f"±0 {unit}" if text[1:] == "0.00" else f"{text} {unit}"
    text = f"{delta:+,.0f}"
    return "±0" if text[1:] == "0" else text


def format_value(value: float) -> str:
    """An output of a model other than the project's as a card shows it: thousands separated from 1,000,
    else four significant digits (:func:`sd_model.formatting.format_number`)."""
    return format_number(float(value))


def format_change(delta: float, value: float) -> str:
    """Change from the baseline of an output of another model, to the precision its value is shown
    with (:func:`format_value`): ``+12.5``, ``-1,204``; ``±0`` when it rounds away."""
    if not math.isfinite(delta):
        return "—"
    size = abs(value) if math.isfinite(value) and value else abs(delta)
    decimals = 0 if size >= 1000 or size == 0 else max(0, 3 - math.floor(math.log10(size)))
    text = f"{delta:+,.{decimals}f}"
    return "±0" if not text.strip("+-0.,") else text


def slider_step(low: float, high: float) -> float:
    """A round step giving about 200 positions over ``[low, high]``."""
    return float(10 ** math.floor(math.log10((high - low) / 200)))


def step_decimals(step: float) -> int:
    """Decimals that show a value on a grid of ``step``."""
    return max(0, -int(f"{step:e}".split("e")[1]))
