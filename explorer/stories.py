"""Workshop stories: scripted sequences of scenario steps in ``models/stories/*.toml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sd_model import spec
from sd_model.parameters import in_language
from sd_model.paths import MODELS_DIR
from sd_model.scenarios import read_toml

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
    data = spec.check(read_toml(raw, str(path), error=ValueError), spec.STORY, str(path))  # keys known, kinds right
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise ValueError(f"{path}: needs at least one [[steps]] table")
    steps = []
    for i, raw in enumerate(raw_steps, start=1):
        where = f"{path}: step {i}"
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: must be a table")
        spec.check(raw, spec.STORY_STEP, str(path), f"step {i}")
        params = model.validate(raw.get("parameters", {}), where=where)
        locked = raw.get("locked", [])
        if not isinstance(locked, list) or not all(isinstance(name, str) for name in locked):
            raise ValueError(f"{where}: 'locked' must be a list of parameter names, got {locked!r:.80}")
        unknown = [name for name in locked if name not in model.parameter_table]
        if unknown:
            raise ValueError(f"{where}: 'locked' names {unknown[0]!r}, which is not a parameter")
        steps.append(Step(raw["title_en"], raw["title_zh"], raw["text_en"], raw["text_zh"], params, tuple(locked)))
    return Story(data["name"], data["title_en"], data["title_zh"], tuple(steps))


def story_names(folder: Path = STORIES_DIR) -> list[str]:
    """Names (file stems) of the stories."""
    return sorted(p.stem for p in Path(folder).glob("*.toml"))


def load_stories(model, folder: Path | None = None) -> tuple[dict[str, Story], dict[str, str]]:
    """Every story in ``folder`` (default :data:`STORIES_DIR`) that reads, and the one-line problem of
    each that does not (by file name): one bad file is skipped and named, never the end of the explorer."""
    folder = STORIES_DIR if folder is None else folder
    good, bad = {}, {}
    for name in story_names(folder):
        path = Path(folder) / f"{name}.toml"
        try:
            good[name] = load_story(path, model)
        except ValueError as err:
            bad[path.name] = str(err)
    return good, bad
