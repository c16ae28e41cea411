"""The sentences the analyses are told in, in both languages, in one place.

The analyses return data (dominant periods of loops, PRIM boxes); this module turns them into the
sentences the command line, the reports and the explorer print. Every phrase is a template of
:data:`PHRASES`, one entry a language; the explorer's own interface words are in ``explorer/i18n.py``.
"""

from __future__ import annotations

#: Phrase templates by name and language (``str.format`` fields in braces).
PHRASES = {
    "unnamed_loops": {"en": "unnamed loops", "zh": "未命名回路"},
    # the split model's metadata (sd_model.split)
    "site_weight_label": {"en": "Weight of each type of site in the relocated people", "zh": "各类安置点的人口权重"},
    "site_weight_description": {
        "en": "Weight of each type of site in the relocated people (normalised to shares).",
        "zh": "各类安置点在搬迁人口中的权重（归一化为比例）。",
    },
    "site_factor_label": {"en": "{label}: factor by site type", "zh": "{label}：按安置点类型的系数"},
    "site_factor_description": {"en": "{label} (relative to the other types).", "zh": "{label}（相对其他类型）。"},
    "place_factor_label": {"en": "{label}: factor by place", "zh": "{label}：按地区的系数"},
    "place_factor_description": {"en": "{label} (relative to the other places).", "zh": "{label}（相对其他地区）。"},
    "place_income_observation": {
        "en": "Income per relocated person, {place}, {year}",
        "zh": "{place}{year}年搬迁人口人均收入",
    },
    "place_employment_observation": {
        "en": "Employment rate of relocated labour, {place}, {year}",
        "zh": "{place}{year}年搬迁劳动力就业率",
    },
    "site_extra_label": {"en": "{label}: extra at", "zh": "{label}：定向增加于"},
    "site_extra_description": {
        "en": "{label} added at the sites of one type in one place, on top of the province's setting (from the "
        "policy year).",
        "zh": "在某地区某类安置点，在全区设定之上增加的{label}（自政策年份起）。",
    },
    "by_site": {"en": "{label} by site", "zh": "{label}（按安置点）"},
    "by_place": {"en": "{label} by place", "zh": "{label}（按地区）"},
    "by_type": {"en": "{label} by type of site", "zh": "{label}（按安置点类型）"},
    "list_sep": {"en": ", ", "zh": "、"},
    "period_sep": {"en": "; ", "zh": "；"},
    "dominates": {"en": "{span}: {who} dominates", "zh": "{span}：{who}主导"},
    "dominate": {"en": "{span}: {who} dominate", "zh": "{span}：{who}主导"},
    "box_none": {
        "en": "{scenario} misses '{target}' in {share:.0%} of futures: too few or too many to describe.",
        "zh": "{scenario}：{target}在{share:.0%}的情形中未达成，无法再细分。",
    },
    "box_spread": {
        "en": "{scenario} misses '{target}' in {share:.0%} of futures; no region of the assumptions holds them "
        "significantly: they are spread across the futures.",
        "zh": "{scenario}在{share:.0%}的情形中未达成“{target}”；"
        "这些情形分散在各种假设中，没有哪一组假设能显著地概括它们。",
    },
    "box": {
        "en": "{scenario} misses '{target}' in {share:.0%} of futures; {coverage:.0%} of those have {limits} "
        "(and in that region {density:.0%} of futures miss).",
        "zh": "{scenario}在{share:.0%}的情形中未达成“{target}”；"
        "其中{coverage:.0%}的情形满足：{limits}（该区域内{density:.0%}的情形未达成）。",
    },
    "limit_sep": {"en": "; ", "zh": "，"},
    "between": {"en": "{label} between {low:.3g} and {high:.3g}", "zh": "{label} {low:.3g}–{high:.3g}"},
    "above": {"en": "{label} above {low:.3g}", "zh": "{label}高于{low:.3g}"},
    "below": {"en": "{label} below {high:.3g}", "zh": "{label}低于{high:.3g}"},
    # A member of the robust front (robustness.optimize), its cost in yuan (the project's model)...
    "front_yuan_title": {
        "en": "Robust front {member}: {share:.0%} of futures, {cost_bn:.1f} bn yuan",
        "zh": "稳健前沿{member}：{share:.0%}的情形达标，{cost_yi:.0f}亿元",
    },
    "front_yuan_description": {
        "en": "A lever setting on the Pareto front of cumulative fiscal cost to 2035 (median {cost_bn:.2f} bn yuan) "
        "against the share of futures meeting every target ({share:.1%}); found by python -m robustness optimize.",
        "zh": "到2035年累计财政成本（中位数{cost_yi:.0f}亿元）与全部目标达成情形占比（{share:.1%}）的帕累托前沿上的"
        "一组政策设置；由 python -m robustness optimize 求得。",
    },
    # ... or in the units of another model's cost output.
    "front_cost_title": {
        "en": "Robust front {member}: {share:.0%} of futures, cost {cost_text}",
        "zh": "稳健前沿{member}：{share:.0%}的情形达标，成本{cost_text}",
    },
    "front_cost_description": {
        "en": "A lever setting on the Pareto front of cost (median {cost_text}) against the share of futures meeting "
        "every target ({share:.1%}); found by python -m robustness optimize.",
        "zh": "成本（中位数{cost_text}）与全部目标达成情形占比（{share:.1%}）的帕累托前沿上的一组政策设置；"
        "由 python -m robustness optimize 求得。",
    },
}


def phrase(name: str, lang: str = "en", **fields) -> str:
    """The phrase ``name`` in ``lang`` (``"zh"`` or else English), its fields filled in. A ``cost`` field
    also gives ``cost_bn`` (billions), ``cost_yi`` (亿, 1e8) and ``cost_text`` (four digits and ``units``)."""
    if "cost" in fields:
        cost = fields["cost"]
        text = f"{cost:,.4g} {fields.get('units', '')}".strip()
        fields |= {"cost_bn": cost / 1e9, "cost_yi": cost / 1e8, "cost_text": text}
    return PHRASES[name]["zh" if lang == "zh" else "en"].format(**fields)


def loop_sentence(periods, table, lang: str = "en") -> str:
    """'2016–2020: Livelihood dominates; 2026–2035: Job saturation dominates' for the dominant periods
    of :func:`sd_model.loop_dominance.dominant_periods`, named by the loop ``table``."""
    labels = {entry.name: entry.label(lang) for entry in table} | {"unnamed": phrase("unnamed_loops", lang)}
    parts = []
    for first, last, names in periods:
        span = f"{first}" if first == last else f"{first}–{last}"
        who = phrase("list_sep", lang).join(labels.get(n, n) for n in names)
        parts.append(phrase("dominates" if len(names) == 1 else "dominate", lang, span=span, who=who))
    return phrase("period_sep", lang).join(parts)


def box_sentence(scenario: str, target: str, share: float, box: dict | None, table, worlds, lang: str = "en") -> str:
    """One sentence a policymaker can read about where a scenario misses a target: the PRIM ``box`` of
    :func:`robustness.analysis.prim_box` over ``worlds``, its parameters labelled from ``table``."""
    if box is None:
        return phrase("box_none", lang, scenario=scenario, target=target, share=share)
    if not box["limits"]:
        return phrase("box_spread", lang, scenario=scenario, target=target, share=share)
    parts = []
    for name, (low, high, *_) in box["limits"].items():
        label, full_low, full_high = table[name].label(lang), worlds[name].min(), worlds[name].max()
        kind = "between" if low > full_low and high < full_high else "above" if low > full_low else "below"
        parts.append(phrase(kind, lang, label=label, low=low, high=high))
    limits = phrase("limit_sep", lang).join(parts)
    return phrase(
        "box",
        lang,
        scenario=scenario,
        target=target,
        share=share,
        coverage=box["coverage"],
        limits=limits,
        density=box["density"],
    )
