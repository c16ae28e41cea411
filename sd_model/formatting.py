"""How numbers are printed for people: one rule for the command line and the explorer."""

from __future__ import annotations

import math


def format_number(value: float) -> str:
    """Thousands separated from 1,000, else 4 significant digits (0.45 stays 0.45, 0.0083 stays 0.0083);
    ``NaN`` for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
