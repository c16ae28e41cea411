"""Export of the current scenario as a scenario file that import (and ``sd_model.load_scenario``) reads."""

from __future__ import annotations

from sd_model import Scenario


def current_scenario(values: dict[str, float], defaults: dict[str, float], based_on: Scenario) -> Scenario:
    """The current slider values as a scenario holding only the values that differ from the defaults."""
    changed = {name: value for name, value in values.items() if value != defaults[name]}
    return Scenario(
        name="custom",
        title_en="Custom scenario",
        title_zh="自定义情景",
        description_en=f"Exported from the explorer, starting from: {based_on.title_en}",
        description_zh=f"从浏览器导出，起点：{based_on.title_zh}",
        parameters=changed,
    )
