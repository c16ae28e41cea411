"""The model split by type of resettlement site and by place, generated from ``relocation.mdl``.

``models/sites.toml`` declares what differs between site types and ``data/places/*.csv`` the places;
:func:`split_text` writes a Vensim model in which every equation of ``relocation.mdl`` that depends on
the people at the sites is subscripted by ``[place, site type]`` (found by following the references
from the declared roots, not listed), the province's own stocks read the sums over the sites, and each
output the explorer shows keeps its name for the provincial value while its per-site value is named
``<output> by site``. PySD, the engine and the checks then read one model, written from data: a user's
place file gives a new model (:func:`write_split`), never executed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w

from diagrams.mdl import Equation, read_equations
from diagrams.structure import TIME_SETTINGS, canonical, name_pattern

from .paths import ROOT
from .places import PLACES_FILE, SITE_TYPES, figure_year, read_places
from .words import phrase

SITES_FILE = ROOT / "models" / "sites.toml"
#: Where ``python -m sd_model split`` writes the split model of the shipped place file.
SPLIT_DIR = ROOT / "models" / "sites"
SPLIT_MDL = SPLIT_DIR / "relocation_sites.mdl"
#: The subscripts of a per-site equation, and of the sums over the sites.
SITE = "[place, site type]"
ALL_SITES = "[place!, site type!]"


class SplitError(ValueError):
    """A sites declaration that does not fit the model (the message names the entry)."""


@dataclass(frozen=True)
class Sites:
    """``models/sites.toml`` as read: site types, factors, extensive constants, provincial stocks, weights."""

    types: list[dict]
    factors: list[dict]
    extensive: list[str]
    replaced: dict[str, str]
    provincial_stocks: list[str]
    weights: dict[str, str]
    source_model: Path
    weight_bounds: tuple[float, float]
    factor_range: tuple[float, float]
    targeted: list[dict]
    place_factors: list[dict] = ()
    place_factor_bounds: tuple[float, float] = (1.0, 1.0)


def read_sites(path: str | Path = SITES_FILE) -> Sites:
    """The sites declaration, checked: the types are the place files' site types, each factor has a value a type."""
    path = Path(path)
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    types = doc["types"]
    ids = [t["id"] for t in types]
    if ids != list(SITE_TYPES):
        raise SplitError(f"{path.name}: [[types]] must be {', '.join(SITE_TYPES)} in that order, got {', '.join(ids)}")
    low, high = doc["weight_bounds"]
    for t in types:
        if not low <= t["weight"] <= high:
            raise SplitError(f"{path.name}: type {t['id']!r}: weight {t['weight']} outside [{low}, {high}]")
    for f in doc["factors"]:
        if len(f["values"]) != len(types):
            raise SplitError(f"{path.name}: factor {f['name']!r}: {len(f['values'])} values, {len(types)} site types")
        if not all(v > 0 for v in f["values"]):
            raise SplitError(f"{path.name}: factor {f['name']!r}: every value must be above 0, got {f['values']}")
    return Sites(
        types,
        doc["factors"],
        doc["extensive"],
        doc.get("replaced", {}),
        doc["provincial_stocks"],
        doc.get("weights", {}),
        path.parent / doc["source_model"],
        tuple(doc["weight_bounds"]),
        tuple(doc["factor_range"]),
        doc.get("targeted", []),
        doc.get("place_factors", []),
        tuple(doc.get("place_factor_bounds", (1.0, 1.0))),
    )


def per_site_names(equations: dict[str, Equation], sites: Sites) -> set[str]:
    """Canonical names of the equations that depend on the people at the sites: those reading an
    extensive, factored or replaced constant, and everything reading them, except the provincial stocks."""
    pattern = name_pattern(equations)
    references = {
        name: set() if e.is_lookup else {canonical(m) for m in pattern.findall(e.expression)}
        for name, e in equations.items()
    }
    roots = {canonical(n) for n in sites.extensive} | {canonical(n) for n in sites.replaced}
    roots |= {canonical(c) for f in [*sites.factors, *sites.place_factors] for c in f["constants"]}
    roots |= {canonical(x["lever"]) for x in sites.targeted}
    for name in roots:
        if name not in equations:
            raise SplitError(f"sites.toml names {name!r}, which is not an equation of the model")
    provincial = {canonical(n) for n in sites.provincial_stocks}
    per_site = {name for name, refs in references.items() if refs & roots and name not in provincial}
    changed = True
    while changed:
        changed = False
        for name, refs in references.items():
            if name not in per_site and name not in provincial and name not in roots and refs & per_site:
                per_site.add(name)
                changed = True
    return per_site


def split_text(mdl_file: str | Path | None = None, places_file: str | Path = PLACES_FILE,
               sites_file: str | Path = SITES_FILE, outputs: list[str] | None = None) -> str:  # fmt: skip
    """The split model's ``.mdl`` text (:func:`split_files`' first part)."""
    return split_files(mdl_file, places_file, sites_file, outputs)[0]


def split_files(
    mdl_file: str | Path | None = None,
    places_file: str | Path = PLACES_FILE,
    sites_file: str | Path = SITES_FILE,
    outputs: list[str] | None = None,
) -> tuple[str, dict | None]:
    """The split model's ``.mdl`` text, and its metadata (the unsplit model's ``model.toml`` with the
    replaced constants left out, the site types' weights and factors added as uncertainties, and each
    per-site output also ``<name>_by_site``, one column per site) or None where the unsplit model has none.

    Parameters
    ----------
    mdl_file : path, optional
        The unsplit model (default: ``source_model`` of the sites file).
    places_file : path
        The places (checked by :func:`sd_model.places.read_places`).
    sites_file : path
        The sites declaration (:func:`read_sites`).
    outputs : list of str, optional
        Vensim names whose per-site value is renamed ``<name> by site`` and whose provincial value
        keeps the name (default: every name of ``[weights]`` and every per-site output of the model's
        ``model.toml``).

    Raises
    ------
    SplitError, sd_model.places.PlaceFileError
        Naming the entry of the sites file or the row of the place file.
    """
    sites = read_sites(sites_file)
    mdl_file = Path(mdl_file) if mdl_file is not None else sites.source_model
    places = read_places(places_file)
    all_equations = read_equations(mdl_file)
    equations = {canonical(e.name): e for e in all_equations if canonical(e.name) not in TIME_SETTINGS}
    per_site = per_site_names(equations, sites)
    toml = mdl_file.with_name("model.toml")
    metadata = tomllib.loads(toml.read_text(encoding="utf-8")) if toml.is_file() else None
    outputs = _outputs(metadata, sites) if outputs is None else outputs
    renamed = {canonical(n): f"{equations[canonical(n)].name} by site" for n in outputs if canonical(n) in per_site}
    levels = _levels(metadata)
    substitutions = _substitutions(sites)
    pattern = name_pattern(equations)

    def rewrite(expression: str, here_per_site: bool) -> str:
        def one(match: re.Match) -> str:
            name = canonical(match.group(1))
            if name in per_site:
                written = renamed.get(name, match.group(1))
                return f"{written}{SITE}" if here_per_site else f"SUM({written}{ALL_SITES})"
            if here_per_site and name in substitutions:
                return substitutions[name].format(name=match.group(1))
            return match.group(1)

        return pattern.sub(one, expression)

    used_after = set()
    blocks, group = [], None  # (canonical name, or None for a group's header; the text)
    for e in all_equations:
        name = canonical(e.name)
        if e.group != group:
            group = e.group
            blocks.append((None, _group(group)))
        if e.is_lookup or name in TIME_SETTINGS:
            blocks.append((name, _equation(e.name, e.expression, e, lookup=e.is_lookup)))
            continue
        here = name in per_site
        expression = rewrite(e.expression, here)
        used_after |= {canonical(m) for m in pattern.findall(expression)}
        lhs = f"{renamed.get(name, e.name)}{SITE}" if here else e.name
        blocks.append((name, _equation(lhs, expression, e)))
    dropped = {canonical(n) for n in sites.replaced} - used_after  # constants whose sliders would do nothing
    texts = [text for name, text in blocks if name not in dropped]
    texts.append(_group("Sites"))
    texts += _site_equations(sites, places)
    texts += _provincial_outputs(renamed, equations, sites, levels)
    text = "{UTF-8}\n" + "\n".join(texts) + "\n" + SKETCH_HEAD
    return text, _metadata(metadata, sites, renamed, dropped, levels)


def _metadata(doc: dict | None, sites: Sites, renamed: dict[str, str], dropped: set[str],
              levels: set[str]) -> dict | None:  # fmt: skip
    """The split model's metadata from the unsplit model's (``doc``, changed here), or None without one."""
    if doc is None:
        return None
    doc["parameters"] = [p for p in doc["parameters"] if canonical(p["vensim_name"]) not in dropped]
    doc["parameters"].append(
        {"name": "site_type_weight", "vensim_name": "site type weight", "kind": "uncertainty", "theme": "assumptions"}
        | _words("site_weight_label", "site_weight_description")
    )
    for f in sites.factors:  # each type's own range: from its value times factor_range[0] to times [1]
        low, high = ([_round(v * scale) for v in f["values"]] for scale in sites.factor_range)
        doc["parameters"].append(_factor_entry(f, "site", {"low": low, "high": high}))
    for f in sites.place_factors:  # one range for every place (the .mdl's)
        doc["parameters"].append(_factor_entry(f, "place"))
    for x in sites.targeted:
        doc["parameters"].append(
            {"name": _boost(x).replace(" ", "_"), "vensim_name": _boost(x), "kind": "lever", "theme": "targeted"}
            | _words("site_extra_label", "site_extra_description", x)
        )
    added = []
    for o in doc["outputs"]:
        name = canonical(o["vensim_name"])
        if name not in renamed:
            continue
        kinds = [("site", renamed[name])]
        if name in levels:
            kinds += [("place", f"{o['vensim_name']} by place"), ("type", f"{o['vensim_name']} by type")]
        for kind, vensim in kinds:
            entry = {"name": f"{o['name']}_by_{kind}", "vensim_name": vensim}
            entry |= {f"label_{lang}": phrase(f"by_{kind}", lang, label=o[f"label_{lang}"]) for lang in ("en", "zh")}
            if o.get("per_person"):
                entry["per_person"] = True
            added.append(entry)
    doc["outputs"] = doc["outputs"] + added
    return doc


def _factor_entry(factor: dict, level: str, bounds: dict | None = None) -> dict:
    """The metadata entry of a ``[[factors]]`` (``level`` "site") or ``[[place_factors]]`` ("place") entry,
    with its ``bounds`` (``low`` and ``high``) where the .mdl's one range does not serve."""
    entry = {"name": factor["name"].replace(" ", "_"), "vensim_name": factor["name"], "kind": "uncertainty"}
    entry |= {"theme": "assumptions"} | (bounds or {})
    return entry | _words(f"{level}_factor_label", f"{level}_factor_description", factor)


def _round(value: float) -> float:
    """A bound as written in the metadata: 12 significant digits (0.5 * 1.1 is 0.55, not 0.55000000000000004)."""
    return float(f"{value:.12g}")


def _levels(metadata: dict | None) -> set[str]:
    """Outputs (canonical) also written by place and by type: the headline outputs and :data:`SUMMARY`."""
    names = {canonical(n) for n in SUMMARY}
    if metadata is not None:
        vensim = {o["name"]: o["vensim_name"] for o in metadata.get("outputs", [])}
        names |= {canonical(vensim[k]) for k in metadata.get("kpis", [])}
    return names


def _words(label: str, description: str, entry: dict | None = None) -> dict[str, str]:
    """Metadata labels (both languages) and the Chinese description, from :data:`sd_model.words.PHRASES`;
    ``entry``'s own labels (a factor's, a targeted lever's) go into them."""
    fields = {lang: {"label": entry[f"label_{lang}"]} if entry else {} for lang in ("en", "zh")}
    return {
        "label_en": phrase(label, "en", **fields["en"]),
        "label_zh": phrase(label, "zh", **fields["zh"]),
        "description_zh": phrase(description, "zh", **fields["zh"]),
    }


def _outputs(metadata: dict | None, sites: Sites) -> list[str]:
    names = list(sites.weights) + [o["vensim_name"] for o in (metadata or {}).get("outputs", [])]
    return list(dict.fromkeys(names))


def _substitutions(sites: Sites) -> dict[str, str]:
    """Constant (canonical) -> its per-site text (``{name}`` the constant as written): a targeted lever's
    extra at the site added first, then a factor of the site's type."""
    out = {canonical(n): f"({{name}} * site share{SITE})" for n in sites.extensive}
    out |= {canonical(n): f"{value}[site type]" for n, value in sites.replaced.items()}
    targeted = {canonical(x["lever"]): x for x in sites.targeted}
    factors = {canonical(c): f for f in sites.factors for c in f["constants"]}
    by_place = {canonical(c): f for f in sites.place_factors for c in f["constants"]}
    for constant in targeted.keys() | factors.keys() | by_place.keys():
        text = "{name}"
        if constant in targeted:
            text = f"{{name}} + {_boost(targeted[constant])}{SITE}"
            text = f"MIN({targeted[constant]['cap']}, {text})" if "cap" in targeted[constant] else f"({text})"
        if constant in factors:
            f = factors[constant]
            text = f"{text} * {f['name']} effect[site type]"
            text = f"MIN({f['cap']}, {text})" if "cap" in f else f"({text})"
        if constant in by_place:
            text = f"({text} * {by_place[constant]['name']} effect[place])"
        out[constant] = text
    return out


def _boost(targeted: dict) -> str:
    """The name of a targeted lever's extra by site."""
    return f"{targeted['lever']} at site"


#: The sketch section's head: the split model has no diagram (the unsplit model's views show its structure).
SKETCH_HEAD = (
    "\\\\\\---/// Sketch information - do not modify anything except names\n"
    "V300  Do not put anything below this section - it will be ignored\n"
)
_STARS = "*" * 56


def _group(name: str) -> str:
    return f"{_STARS}\n\t.{name}\n{_STARS}~\n\t\t{name}\n\t|\n"


def _equation(lhs: str, expression: str, e: Equation | None = None, *, lookup: bool = False,
              units: str = "", low=None, high=None, comment: str = "") -> str:  # fmt: skip
    if e is not None:
        units, low, high, comment = e.units, e.low, e.high, e.comment
    if low is not None or high is not None:
        units = f"{units} [{'?' if low is None else _num(low)},{'?' if high is None else _num(high)}]"
    body = f"{lhs}(\n\t{expression})" if lookup else f"{lhs}=\n\t{expression}"
    return f"{body}\n\t~\t{units}\n\t~\t{comment}\n\t|\n"


def _num(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


def _site_equations(sites: Sites, places) -> list[str]:
    ids = list(places.index)  # place ids are Vensim names already (sd_model.places checks them)
    types = [t["id"] for t in sites.types]
    people = ", ".join(_num(v) for v in places["people_relocated"])
    sources = "; ".join(f"{p}: {s}" for p, s in zip(places.index, places["people_source"], strict=True))
    out = [
        f"place:\n\t{', '.join(ids)}\n\t~\t\n\t~\tThe places of the place file, in its order.\n\t|\n",
        f"site type:\n\t{', '.join(types)}\n\t~\t\n\t~\tThe types of resettlement site (models/sites.toml).\n\t|\n",
        _equation(
            "place people relocated[place]",
            people,
            units="persons",
            comment=f"People relocated in each place. Source: {sources}",
        ),
        _equation(
            "place share[place]",
            "place people relocated[place] / SUM(place people relocated[place!])",
            units="dmnl",
            comment="Share of the relocated people in each place.",
        ),
    ]
    bases = " ".join(f"{t['label_en']}: {t['basis']}" for t in sites.types)
    out.append(
        _equation(
            "site type weight[site type]",
            ", ".join(_num(t["weight"]) for t in sites.types),
            units="dmnl",
            low=sites.weight_bounds[0],
            high=sites.weight_bounds[1],
            comment="Weight of each type of site in the relocated people (normalised to a share). "
            f"Uncertainty. Source: {bases}",
        )
    )
    out += [
        _equation("site type share[site type]", "site type weight[site type] / SUM(site type weight[site type!])",
                  units="dmnl", comment="Share of the relocated people in sites of each type (alike in every place)."),
        _equation(f"site share{SITE}", "place share[place] * site type share[site type]", units="dmnl",
                  comment="Share of the province's relocated people in the sites of one type in one place."),
        _equation("site in town[site type]", ", ".join(_num(t["in_town"]) for t in sites.types), units="dmnl",
                  comment="1 for sites in towns and cities, 0 for rural sites (models/sites.toml)."),
    ]  # fmt: skip
    for x in sites.targeted:
        out.append(
            _equation(
                f"{_boost(x)}{SITE}",
                "0",
                units=x["units"],
                low=0,
                high=x["extra_high"],
                comment=f"Extra {x['label_en'].lower()} at the sites of one type in one place, on top of the "
                "province's setting (from the policy year, as the lever). Lever, targeted.",
            )
        )
    for f in sites.factors:
        out.append(
            _equation(
                f"{f['name']}[site type]",
                ", ".join(_num(v) for v in f["values"]),
                units="dmnl",
                low=min(f["values"]) * sites.factor_range[0],
                high=max(f["values"]) * sites.factor_range[1],
                comment=f"{f['label_en']} at each type of site relative to the others "
                f"({', '.join(f['constants'])}). Uncertainty. Source: {f['basis']}",
            )
        )
        out.append(
            _equation(
                f"{f['name']} effect[site type]",
                f"{f['name']}[site type] / SUM(site type share[site type!] * {f['name']}[site type!])",
                units="dmnl",
                comment=f"{f['label_en']}: the type's factor over the share-weighted mean, so the "
                "provincial mean of the constants stays the calibrated one.",
            )
        )
    for f in sites.place_factors:
        out.append(
            _equation(
                f"{f['name']}[place]",
                ", ".join("1" for _ in ids),
                units="dmnl",
                low=sites.place_factor_bounds[0],
                high=sites.place_factor_bounds[1],
                comment=f"{f['label_en']} in each place relative to the others ({', '.join(f['constants'])}). "
                "Uncertainty, 1 in every place unless the posterior reads the places' own figures. "
                f"Source: {f['basis']}",
            )
        )
        out.append(
            _equation(
                f"{f['name']} effect[place]",
                f"{f['name']}[place] / SUM(place share[place!] * {f['name']}[place!])",
                units="dmnl",
                comment=f"{f['label_en']}: the place's factor over the people-weighted mean, so the provincial "
                "mean of the constants stays the calibrated one.",
            )
        )
    return out


#: Levels of aggregation of a per-site output: (the subscripts of its equation, of the sums, the weights
#: of a rate while its own weight is zero everywhere, the name's suffix, what is summed over).
LEVELS = {
    "province": ("", ALL_SITES, f"site share{ALL_SITES}", "", "the sites"),
    "place": ("[place]", "[place, site type!]", "site type share[site type!]", " by place", "the types in a place"),
    "type": ("[site type]", "[place!, site type]", "place share[place!]", " by type", "the places, for a type"),
}


def _aggregate(by_site: str, weight: str | None, level: str) -> str:
    """The expression of a per-site output aggregated at ``level``: a sum, or for a rate the values
    weighted by ``weight`` (by the people's shares while the weight is zero everywhere)."""
    _, over, shares, _, _ = LEVELS[level]
    if weight is None:
        return f"SUM({by_site}{over})"
    total = f"SUM({weight}{over})"
    return (
        f"IF THEN ELSE({total} > 0, SUM({by_site}{over} * {weight}{over}) / MAX({total}, 1e-09), "
        f"SUM({by_site}{over} * {shares}))"
    )


def _provincial_outputs(renamed: dict[str, str], equations: dict[str, Equation], sites: Sites,
                        levels: set[str]) -> list[str]:  # fmt: skip
    """Each renamed output's provincial value (under its own name); by place and by type for ``levels``."""
    weights = {canonical(k): canonical(v) for k, v in sites.weights.items()}
    out = []
    for name, by_site in renamed.items():
        e = equations[name]
        weight = renamed.get(weights[name], equations[weights[name]].name) if name in weights else None
        how = f"weighted by {equations[weights[name]].name}" if weight else "summed"
        for level, (subscripts, _, _, suffix, over) in LEVELS.items():
            if level != "province" and name not in levels:
                continue
            out.append(
                _equation(
                    f"{e.name}{suffix}{subscripts}",
                    _aggregate(by_site, weight, level),
                    units=e.units,
                    comment=f"{e.name}: the values of {over}, {how}.",
                )
            )
    return out


def write_split(places_file: str | Path = PLACES_FILE, out: str | Path = SPLIT_MDL,
                sites_file: str | Path = SITES_FILE) -> Path:  # fmt: skip
    """Write the split model of ``places_file`` to ``out``, its metadata to ``model.toml``, the place
    file to ``places.csv`` and the unsplit model's ``targets.toml`` beside it (its folder created); the
    model's path."""
    text, metadata = split_files(places_file=places_file, sites_file=sites_file)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    if metadata is not None:
        out.with_name("model.toml").write_text(METADATA_HEAD + tomli_w.dumps(metadata), encoding="utf-8")
    out.with_name(PLACES_BESIDE).write_bytes(Path(places_file).read_bytes())  # names and tiles for the explorer
    source = read_sites(sites_file).source_model
    targets = source.with_name("targets.toml")
    if targets.is_file():  # the province's targets read the provincial outputs, which keep their names
        out.with_name("targets.toml").write_bytes(targets.read_bytes())
    for folder in BESIDE_FOLDERS:  # the levers keep their names: the named scenarios and stories apply as they are
        if source.with_name(folder).is_dir():
            target = out.with_name(folder)
            target.mkdir(exist_ok=True)
            for old in target.glob("*.toml"):
                old.unlink()
            for path in sorted(source.with_name(folder).glob("*.toml")):
                (target / path.name).write_bytes(path.read_bytes())
    calibration = source.with_name("calibration.toml")
    if calibration.is_file() and metadata is not None:
        places = read_places(places_file)
        doc = tomllib.loads(calibration.read_text(encoding="utf-8"))
        doc["observations"] = provincial_observations(doc["observations"], places) + place_observations(places)
        text = CALIBRATION_HEAD + tomli_w.dumps(doc)
        out.with_name("calibration.toml").write_text(text, encoding="utf-8")
    return out


#: What a place's own figures are compared with (by place outputs of the split model's metadata), and
#: their observation errors: (figure column, its period and source columns, output, error, why).
PLACE_FIGURES = (
    (
        "income_per_person",
        "income_period",
        "income_source",
        "income_per_capita_by_place",
        {"rel_sd": 0.1},
        "place_income_observation",
        "A place's own report for its monitoring period against the model's year: the periods and the "
        "definitions of income (net, disposable, of whom) differ between reports. 10 %.",
    ),
    (
        "employed_share",
        "employment_period",
        "employment_source",
        "employment_rate_by_place",
        {"sd": 0.03},
        "place_employment_observation",
        "A place's own count of relocated labour in work over its own count of labour: the definitions "
        "differ from the model's labour force. 3 points.",
    ),
)

CALIBRATION_HEAD = (
    "# Written by `python -m sd_model split` from models/calibration.toml (its head says how to read an entry)\n"
    "# and the place file: the province's observations, read on the provincial outputs, then each place's own\n"
    "# figures (income, employment) as targets on its outputs by place; they inform the [[place_factors]] of\n"
    "# models/sites.toml. A provincial observation of one place's figure is left out: its place's own\n"
    "# observation replaces it.\n\n"
)


def provincial_observations(entries: list[dict], places: pd.DataFrame) -> list[dict]:
    """The unsplit model's observations without those of one place's figure (a fact whose scope names a
    place of the file, such as "Guangxi (Hechi)"), which the place's own observation replaces."""
    names = {f"({name})" for name in places["name_en"]}
    return [e for e in entries if not any(n in str(e.get("fact", {}).get("scope", "")) for n in names)]


def place_observations(places: pd.DataFrame) -> list[dict]:
    """The calibration entries of the places' own figures (income, employment) with their years and sources."""
    entries = []
    for place, row in places.iterrows():
        for column, period, source, output, error, label, why in PLACE_FIGURES:
            value = row[column]
            if isinstance(value, float) and np.isnan(value):
                continue
            year = figure_year(row[period])
            words = {lang: {"place": row[f"name_{lang}"], "year": year} for lang in ("en", "zh")}
            entries.append(
                {
                    "name": f"{place}_{column}_{year}",
                    "role": "target",
                    "output": f"{output}[{place}]",
                    "year": year,
                    "value": float(value),
                    "source": f"{row[source]} (place file, {row[period]})",
                    **error,
                    "label_en": phrase(label, "en", **words["en"]),
                    "label_zh": phrase(label, "zh", **words["zh"]),
                    "why": why,
                }
            )
    return entries


#: Folders of the unsplit model copied beside the split one: its named scenarios and workshop stories.
BESIDE_FOLDERS = ("scenarios", "stories")

#: The copy of the place file beside a split model.
PLACES_BESIDE = "places.csv"


#: The first lines of a split model's metadata file.
METADATA_HEAD = (
    "# Written by `python -m sd_model split` from models/model.toml and models/sites.toml: edit those, not this.\n\n"
)


#: The per-site outputs :func:`summary` shows, and their provincial values.
SUMMARY = ("relocated population", "employment rate", "income per capita", "relapse risk share", "integrated share")


def summary(model, year: float | None = None) -> pd.DataFrame:
    """The outputs of :data:`SUMMARY` in ``year`` (default FINAL TIME) of a split model's run at its
    defaults: one row a place and site type, then the province (the model's own provincial values)."""
    result = model.run()
    year = model.control["final_time"] if year is None else year
    times = np.asarray(result.index, dtype=float)
    if not np.isclose(times, year).any():
        raise ValueError(f"year {year:g} is not a saved time of the model ({times[0]:g}-{times[-1]:g})")
    row = result.iloc[int(np.argmin(np.abs(times - year)))]
    names = {o.vensim_name: o.name.split("[")[0] for o in model.outputs}
    table = {}
    for output in SUMMARY:
        prefix = names[f"{output} by site"]
        cells = {tuple(c[len(prefix) + 1 : -1].split(",")): row[c] for c in row.index if c.startswith(prefix + "[")}
        cells[("province", "all")] = row[names[output]]
        table[output] = cells
    frame = pd.DataFrame(table)
    frame.index.names = ["place", "site type"]
    return frame
