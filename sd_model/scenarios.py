"""Named scenarios: TOML files in ``models/scenarios/`` with the parameters that differ from defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from . import spec
from .parameters import in_language
from .paths import SCENARIOS_DIR
from .spec import parse_toml

TEXT_KEYS = ("name", "title_en", "title_zh", "description_en", "description_zh")


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Scenario:
    """A named set of parameter values.

    Attributes
    ----------
    name : str
        Short identifier (the file's stem for the bundled scenarios).
    title_en, title_zh, description_en, description_zh : str
        Texts shown to users.
    parameters : dict
        Parameter name to value, only the values that differ from the defaults.
    """

    name: str
    title_en: str
    title_zh: str
    description_en: str
    description_zh: str
    parameters: dict[str, float] = field(default_factory=dict)

    def title(self, lang: str = "en") -> str:
        """Title in ``lang``."""
        return in_language(self, "title", lang)

    def description(self, lang: str = "en") -> str:
        """Description in ``lang``."""
        return in_language(self, "description", lang)

    def to_toml(self) -> str:
        """The scenario as TOML text that :func:`parse_scenario` reads back."""
        data = {key: getattr(self, key) for key in TEXT_KEYS}
        data["parameters"] = dict(self.parameters)
        return tomli_w.dumps(data)


def scenario_names(folder: Path = SCENARIOS_DIR) -> list[str]:
    """Names of the bundled scenarios, baseline first."""
    names = sorted(p.stem for p in Path(folder).glob("*.toml"))
    return sorted(names, key=lambda n: n != "baseline")


def read_toml(text: str | bytes, source: str, error=ScenarioError) -> dict:
    """TOML text as a dict; ``error`` (a ``ValueError``) naming ``source`` if it is not UTF-8 or not TOML
    (see :func:`sd_model.spec.parse_toml`)."""
    return parse_toml(text, source, error)


def parse_scenario(text: str | bytes, validate, *, source: str = "<scenario>") -> Scenario:
    """Parse and validate scenario TOML text.

    Parameters
    ----------
    text : str or bytes
        TOML text.
    validate : callable
        ``validate(params, where=...)`` of the model, e.g. :meth:`sd_model.Model.validate`.
    source : str
        File name used in error messages.

    Raises
    ------
    ScenarioError
        For bad TOML, a missing or mistyped key, an unknown key, an unknown parameter, a value that
        is not a number or a value out of bounds.
    """
    data = read_toml(text, source)
    try:
        spec.check(data, spec.SCENARIO, source)
    except spec.SpecError as err:
        raise ScenarioError(str(err)) from None
    params = data.get("parameters", {})
    try:
        checked = validate(params, where=f"{source}: [parameters]")
    except ValueError as err:
        raise ScenarioError(str(err)) from None
    return Scenario(**{key: data[key] for key in TEXT_KEYS}, parameters=checked)


def resolve_scenario_path(name_or_path: str | Path, folder: Path = SCENARIOS_DIR) -> Path:
    """Path of a bundled scenario name, or the given path; ``ScenarioError`` if there is none."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.parent != Path("."):
        if not candidate.is_file():
            raise ScenarioError(f"{candidate}: scenario file not found")
        return candidate
    path = Path(folder) / f"{name_or_path}.toml"
    if not path.is_file():
        names = scenario_names(folder)
        known = f"bundled scenarios: {', '.join(names)}" if names else f"no scenarios in {folder}"
        raise ScenarioError(f"unknown scenario {str(name_or_path)!r}; {known}")
    return path
