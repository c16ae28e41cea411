"""What each TOML file of the project may hold, declared once, and one check for all of them.

Every file the project reads (``models/model.toml``, ``loops.toml``, ``targets.toml``,
``calibration.toml``, the scenarios and the stories) is checked against its spec here before any of
it is used: a key the spec does not know is refused (a typo such as ``lable_en`` would otherwise be
ignored without a word), a required key must be there, and each value must be of its kind. Errors
are one line naming the file, the table (``[[outputs]] 3 'employment_rate'``) and the key. The
meaning of the values (bounds, names of outputs, years) is checked by the readers.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


#: The kinds a value may be, by name (TOML integers are numbers too; booleans are not).
KINDS = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _number,
    "boolean": lambda v: isinstance(v, bool),
    "list of strings": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
    "list": lambda v: isinstance(v, list),
    "table": lambda v: isinstance(v, dict),
    "any value": lambda v: True,  # checked by the reader (a parameter's value: the model validates it)
    "number or list of numbers": lambda v: _number(v) or (isinstance(v, list) and all(_number(x) for x in v)),
    "integer or string": lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)),
}


class SpecError(ValueError):
    """A TOML file that does not follow its spec."""


#: Longest TOML text read (scenarios, stories, uploads): far above any real file, far below a flood.
MAX_TOML_CHARS = 1_000_000


def parse_toml(text: str | bytes, source: str, error=SpecError) -> dict:
    """TOML text as a dict; ``error`` (a ``ValueError``) in one line naming ``source`` if it is not
    UTF-8, too long, not TOML, nested too deeply or holds an integer Python will not read."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise error(f"{source}: not UTF-8 text ({err.reason})") from None
    if len(text) > MAX_TOML_CHARS:
        raise error(f"{source}: {len(text):,} characters, more than the {MAX_TOML_CHARS:,} a settings file may hold")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{source}: not valid TOML: {err}") from None
    except RecursionError:  # arrays or tables nested thousands deep
        raise error(f"{source}: not valid TOML here: nested too deeply") from None
    except ValueError as err:  # an integer of more than 4,300 digits (Python's limit on int from text)
        raise error(f"{source}: not valid TOML here: {' '.join(str(err).split())[:160]}") from None


def read(path: str | Path, spec: Table) -> dict:
    """Read a TOML file and check it against ``spec`` (:func:`check`); :class:`SpecError` in one line."""
    try:
        raw = Path(path).read_bytes()
    except OSError as err:
        raise SpecError(f"{path}: cannot read: {err.strerror}") from None
    return check(parse_toml(raw, str(path)), spec, str(path))


@dataclass(frozen=True)
class Key:
    """A plain value: its kind (a name of :data:`KINDS`) and whether it must be there."""

    kind: str
    required: bool = False


@dataclass(frozen=True)
class Table:
    """A table with known keys; ``values`` instead for a table of free names (``[parameters]``)."""

    keys: dict = field(default_factory=dict)
    values: str | None = None
    required: bool = False


@dataclass(frozen=True)
class Tables:
    """An array of tables (``[[outputs]]``), each following ``item``."""

    item: Table
    required: bool = False


def _label(entry: dict) -> str:
    name = entry.get("name")
    return f" {name!r}" if isinstance(name, str) else ""


def check(doc: dict, spec: Table, source: str, where: str = "") -> dict:
    """Check ``doc`` (a parsed TOML file, or one of its tables) against ``spec``; return it unchanged.

    Raises
    ------
    SpecError
        One line: ``source: where: unknown key 'x'; allowed keys: ...``, ``missing key``, or a value
        of the wrong kind.
    """
    prefix = f"{source}: {where}: " if where else f"{source}: "
    if spec.values is not None:
        for key, value in doc.items():
            if not KINDS[spec.values](value):
                raise SpecError(f"{prefix}{key!r} must be a {spec.values}, got {value!r:.60}")
        return doc
    unknown = [key for key in doc if key not in spec.keys]
    if unknown:
        raise SpecError(f"{prefix}unknown key {unknown[0]!r}; allowed keys: {', '.join(spec.keys)}")
    for key, rule in spec.keys.items():
        if key not in doc:
            if rule.required:
                raise SpecError(f"{prefix}missing key {key!r}")
            continue
        _check_value(key, doc[key], rule, source, where, prefix)
    return doc


def _check_value(key: str, value, rule: Key | Table | Tables, source: str, where: str, prefix: str) -> None:
    """Check the value of ``key`` against its rule (a nested table or array of tables recursively)."""
    inner = f"{where} " if where else ""
    if isinstance(rule, Key):
        if not KINDS[rule.kind](value):
            article = "an" if rule.kind[0] in "aeiou" else "a"
            raise SpecError(
                f"{prefix}key {key!r} must be {article} {rule.kind}, got {type(value).__name__} {value!r:.60}"
            )
    elif isinstance(rule, Table):
        if not isinstance(value, dict):
            raise SpecError(f"{prefix}key {key!r} must be a table, got {type(value).__name__}")
        check(value, rule, source, f"{inner}[{key}]")
    else:
        if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
            raise SpecError(f"{prefix}[[{key}]] must be an array of tables")
        for i, entry in enumerate(value, start=1):
            check(entry, rule.item, source, f"{inner}[[{key}]] {i}{_label(entry)}")


TEXT = Key("string", required=True)

MODEL = Table(
    {
        "kpis": Key("list of strings"),
        "headline_year": Key("integer"),
        "population_output": Key("string"),
        "time_axis": Key("string"),  # "year" or "time" (the default): see sd_model.model.ModelSpec.from_metadata
        "parameters": Tables(
            Table(
                {
                    "name": TEXT,
                    "vensim_name": TEXT,
                    "kind": TEXT,
                    "theme": TEXT,
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "description_zh": Key("string"),
                    "slider_step": Key("number"),
                    "low": Key("number or list of numbers"),  # a list: one per element of a subscripted constant
                    "high": Key("number or list of numbers"),
                    "costs_public_money": Key("boolean"),
                }
            ),
            required=True,
        ),
        "units_zh": Table(values="string"),
        "outputs": Tables(
            Table(
                {
                    "name": TEXT,
                    "vensim_name": TEXT,
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "short_en": Key("string"),
                    "short_zh": Key("string"),
                    "per_person": Key("boolean"),
                }
            ),
            required=True,
        ),
    }
)

LOOPS = Table(
    {
        "periods": Key("list"),
        "loops": Tables(
            Table(
                {
                    "name": TEXT,
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "polarity": TEXT,
                    "variables": Key("list of strings", required=True),
                    "path_en": TEXT,
                    "path_zh": TEXT,
                }
            ),
            required=True,
        ),
    }
)

TARGETS = Table(
    {
        "fixed_levers": Key("list of strings"),
        "cost_output": Key("string"),
        "policy_parameter": Key("string"),
        "targets": Tables(
            Table(
                {
                    "name": TEXT,
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "short_en": TEXT,
                    "short_zh": TEXT,
                    "output": TEXT,
                    "per": Key("string"),
                    "from": Key("integer or string", required=True),
                    "to": Key("integer", required=True),
                    "aggregate": TEXT,
                    "at_least": Key("number"),
                    "at_most": Key("number"),
                    "relative_to": Key("integer"),
                    "why": TEXT,
                }
            ),
            required=True,
        ),
    }
)

CALIBRATION = Table(
    {
        "observations": Tables(
            Table(
                {
                    "name": TEXT,
                    "role": TEXT,
                    "output": TEXT,
                    "per": Key("string"),
                    "year": Key("integer"),
                    "fact": Key("table"),
                    "value": Key("number"),
                    "source": Key("string"),
                    "series": Key("string"),
                    "years": Key("list"),
                    "sd": Key("number"),
                    "rel_sd": Key("number"),
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "why": TEXT,
                    "miss": Key("string"),
                }
            ),
            required=True,
        ),
    }
)

SCENARIO = Table(
    {
        "name": TEXT,
        "title_en": TEXT,
        "title_zh": TEXT,
        "description_en": TEXT,
        "description_zh": TEXT,
        "parameters": Table(values="any value"),
    }
)

#: A story's top level; each of its ``[[steps]]`` is checked against :data:`STORY_STEP` as "step N".
STORY = Table({"name": TEXT, "title_en": TEXT, "title_zh": TEXT, "steps": Key("list")})
STORY_STEP = Table(
    {
        "title_en": TEXT,
        "title_zh": TEXT,
        "text_en": TEXT,
        "text_zh": TEXT,
        "parameters": Table(values="any value"),
        "locked": Key("list"),
    }
)

#: A workshop room file (``workshop.room_file``): what teams may move, the rounds and the roles.
ROOM = Table(
    {
        "title_en": Key("string", required=True),
        "title_zh": Key("string", required=True),
        "language": Key("string"),
        "story": Key("string"),
        "levers": Key("list of strings", required=True),
        "rounds": Tables(
            Table({"year": Key("integer", required=True), "label_en": Key("string"), "label_zh": Key("string")}),
            required=True,
        ),
        "roles": Tables(
            Table(
                {
                    "id": Key("string", required=True),
                    "label_en": TEXT,
                    "label_zh": TEXT,
                    "brief_en": Key("string"),
                    "brief_zh": Key("string"),
                    "levers": Key("list of strings"),
                    "max_teams": Key("integer"),
                }
            )
        ),
    }
)
