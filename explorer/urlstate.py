"""Scenario state in the page's query string: parse with warnings, write only non-defaults."""

from __future__ import annotations

import math

from sd_model.parameters import Parameter, ParameterError, unknown_name_message

RESERVED = ("preset", "lang", "view", "story", "room", "key", "screen")  # the last three: the workshop room


def parse_query(
    query: dict[str, str], table: dict[str, Parameter]
) -> tuple[dict[str, float], dict[str, str], list[str]]:
    """Split a query string into parameter values, other settings and warnings.

    A tampered or out-of-range value is dropped (the default applies) with a warning naming it;
    nothing raises.

    Returns
    -------
    params : dict
        Valid parameter values.
    settings : dict
        Values of the reserved keys (``preset``, ``lang``, ``view``, ``story``), unchecked.
    warnings : list of str
        One message per rejected key.
    """
    params, settings, warnings = {}, {}, []
    for key, raw in query.items():
        if key in RESERVED:
            settings[key] = raw
            continue
        if key not in table:
            warnings.append(unknown_name_message(key, table, list_known=False))
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            warnings.append(f"parameter {key!r}: {raw!r} is not a number")
            continue
        try:
            params[key] = table[key].check(value)
        except ParameterError as err:
            warnings.append(str(err))
    return params, settings, warnings


def format_value(value: float) -> str:
    """Shortest text that reads back as the same float."""
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


def to_query(values: dict[str, float], table: dict[str, Parameter], settings: dict[str, str]) -> dict[str, str]:
    """Query string of the values that differ from the defaults, plus non-empty settings."""
    query = {k: v for k, v in settings.items() if v}
    for name, value in values.items():
        if not math.isclose(value, table[name].default, rel_tol=0, abs_tol=1e-12):
            query[name] = format_value(value)
    return query
