"""Workshop stories: scripted sequences of scenario steps in ``models/stories/*.toml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sd_model.parameters import in_language
from sd_model.paths import MODELS_DIR
from sd_model.scenarios import read_toml, require_strings

STORIES_DIR = MODELS_DIR / "stories"


@dataclass(frozen=True)
class Step:
    """One step: parameter values to set (others at default), parameters locked, and what to say."""

    title_en: str
    title_zh: str
    text_en: str
    text_zh: str
    parameters: dict[str, float] = field(default_factory=dict)
    locked: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        return in_language(self, "title", lang)

    def text(self, lang: str) -> str:
        return in_language(self, "text", lang)


@dataclass(frozen=True)
class Story:
    """A facilitator's scripted sequence of steps."""

    name: str
    title_en: str
    title_zh: str
    steps: tuple[Step, ...]

    def title(self, lang: str) -> str:
        return in_language(self, "title", lang)


def load_story(path: Path, model) -> Story:
    """Read and validate a story; ``ValueError`` naming the file, the step and the problem."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise ValueError(f"{path}: cannot read story: {err.strerror}") from None
    data = read_toml(raw, str(path), error=ValueError)
    require_strings(data, ("name", "title_en", "title_zh"), str(path), error=ValueError)
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ValueError(f"{path}: needs at least one [[steps]] table")
    steps = []
    for i, raw in enumerate(raw_steps, start=1):
        where = f"{path}: step {i}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a table")
        require_strings(raw, ("title_en", "title_zh", "text_en", "text_zh"), where, error=ValueError)
        params = model.validate(raw.get("parameters", {}), where=where)
        locked = raw.get("locked", [])
        if not isinstance(locked, list) or any(name not in model.parameter_table for name in locked):
            raise ValueError(f"{where}: 'locked' must list parameter names")
        steps.append(Step(raw["title_en"], raw["title_zh"], raw["text_en"], raw["text_zh"], params, tuple(locked)))
    return Story(data["name"], data["title_en"], data["title_zh"], tuple(steps))


def story_names(folder: Path = STORIES_DIR) -> list[str]:
    """Names (file stems) of the stories."""
    return sorted(p.stem for p in Path(folder).glob("*.toml"))
