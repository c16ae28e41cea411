"""The modeller's review of the model's mechanisms (issue 21), measured: what each policy move answers.

Prints one row per question a reviewer asks of the model at the default assumptions (levers from the
policy year 2026, changes against the baseline in 2030 unless said), the figures of docs/what-the-model-answers.md
"What the model answers" table. Run: ``python benchmarks/mechanisms.py``.
"""

from __future__ import annotations

import sd_model
from sd_model.costs import what_a_yuan_buys

YEAR = 2030


def main() -> None:
    model = sd_model.default_model()
    table = model.parameter_table
    base = sd_model.run()

    def delta(params, output, year=YEAR):
        return sd_model.run(params).loc[year, output] - base.loc[year, output]

    def outside_share(run):
        return run.loc[YEAR, "employed_outside"] / run.loc[YEAR, "employed_labour"]

    print(
        f"baseline {YEAR}: employment {base.loc[YEAR, 'employment_rate']:.3f}, "
        f"income {base.loc[YEAR, 'income_per_capita']:,.0f} yuan, "
        f"relapse {base.loc[YEAR, 'relapse_risk_share']:.2%}, "
        f"fiscal cost {base.loc[YEAR, 'fiscal_cost'] / 1e9:.2f} bn yuan"
    )
    for lever in (
        "industry_jobs_per_worker",
        "tourism_jobs_per_worker",
        "public_welfare_jobs_per_worker",
        "entrepreneurship_support",
    ):
        p = {lever: table[lever].high}
        print(
            f"{lever} {table[lever].default:g} -> {table[lever].high:g}: "
            f"employment {delta(p, 'employment_rate'):+.4f}, "
            f"employed locally {delta(p, 'employed_locally'):+,.0f}, outside {delta(p, 'employed_outside'):+,.0f}"
        )
    low = sd_model.run({"outside_jobs_per_worker": table["outside_jobs_per_worker"].low})
    print(
        f"outside jobs {table['outside_jobs_per_worker'].default:g} -> {table['outside_jobs_per_worker'].low:g}: "
        f"employment {base.loc[YEAR, 'employment_rate']:.3f} -> {low.loc[YEAR, 'employment_rate']:.3f}"
    )
    for openings in ({}, {"outside_jobs_per_worker": table["outside_jobs_per_worker"].high}):
        b, w = sd_model.run(openings), sd_model.run(openings | {"local_base_wage": table["local_base_wage"].low})
        print(
            f"local wage at its low bound {openings or ''}: "
            f"share of the employed outside {outside_share(b):.3f} -> {outside_share(w):.3f}"
        )
    jobs = (
        "industry_jobs_per_worker",
        "tourism_jobs_per_worker",
        "public_welfare_jobs_per_worker",
        "entrepreneurship_support",
        "training_coverage",
    )
    bare = sd_model.run(
        {n: table[n].low for n in jobs}
        | {"policy_year": 2016, "outside_jobs_per_worker": table["outside_jobs_per_worker"].low}
    )
    kept = bare.loc[2035, "relocated_population"] / base.loc[2035, "relocated_population"]
    print(
        f"every job lever low from 2016, outside jobs scarce: {kept:.1%} "
        f"of the baseline's people at the sites in 2035 "
        f"(moved away {bare.loc[2035, 'moved_away']:,.0f} against {base.loc[2035, 'moved_away']:,.0f})"
    )
    full = sd_model.run({"share_reform_coverage": 1.0})
    extra = (full.loc[2035, "cumulative_fiscal_cost"] - base.loc[2035, "cumulative_fiscal_cost"]) / 1e9
    print(f"share-reform coverage 0.5 -> 1.0: +{extra:.2f} bn yuan by 2035")
    scenarios = {
        name: sd_model.run(sd_model.load_scenario(name).parameters)
        for name in ("no_follow_up", "integrated_governance")
    }
    nf = scenarios["no_follow_up"]
    since_2026 = (nf.loc[2035, "cumulative_fiscal_cost"] - base.loc[2035, "cumulative_fiscal_cost"]) / 1e9
    since_2016 = (
        nf.loc[2035, "cumulative_fiscal_cost_since_2016"] - base.loc[2035, "cumulative_fiscal_cost_since_2016"]
    ) / 1e9
    print(
        f"no_follow_up against the baseline: {since_2026:+.1f} bn yuan "
        f"over 2026-2035, {since_2016:+.1f} bn over 2016-2035"
    )
    ig = scenarios["integrated_governance"]
    print(
        "integrated_governance: "
        f"relapse {(ig.loc[YEAR, 'relapse_risk_share'] - base.loc[YEAR, 'relapse_risk_share']) * 100:+.2f} pp, "
        f"employment {ig.loc[YEAR, 'employment_rate'] - base.loc[YEAR, 'employment_rate']:+.4f}"
    )
    print(
        f"relapse risk 2022: {base.loc[2022, 'relapse_risk_share']:.2%} "
        f"(monitoring line {base.loc[2022, 'monitoring_line']:,.0f} yuan)"
    )
    print(f"labour share: {base.loc[2020, 'labour_share']:.3f} (2020) -> {base.loc[2035, 'labour_share']:.3f} (2035)")
    print(f"2015 row: income {base.loc[2015, 'income_per_capita']}, relapse {base.loc[2015, 'relapse_risk_share']}")
    levels = (
        base.loc[2030, ["central_fiscal_cost", "provincial_fiscal_cost", "county_fiscal_cost", "debt_service"]] / 1e9
    )
    print("2030 by budget level (bn yuan): " + ", ".join(f"{k} {v:.2f}" for k, v in levels.items()))
    print()
    print(what_a_yuan_buys(model).round(1).to_string())
    print()
    lever_table(base)


#: levers moved alone from 2026 for the table of models/README.md, "What policy does, measured"
MOVES = [
    ("industry_jobs_per_worker", "high"),
    ("tourism_jobs_per_worker", "high"),
    ("public_welfare_jobs_per_worker", "high"),
    ("training_coverage", "high"),
    ("public_service_access", "high"),
    ("share_reform_coverage", "high"),
    ("industry_jobs_per_worker", "low"),
    ("second_relocation_round", "high"),
    ("budget_constraint", "high"),
]


def lever_table(base) -> None:
    """Each lever of :data:`MOVES` moved alone from 2026 against the baseline, as a markdown table."""
    table = sd_model.default_model().parameter_table
    print(
        "| lever moved | employment rate 2030 | employed locally 2030 | income per person 2030 "
        "| people at the sites 2035 | relapse risk 2030 | fiscal cost 2030 |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, end in MOVES:
        p = table[name]
        value = getattr(p, end)
        run = sd_model.run({name: value})
        d = {
            k: run.loc[y, k] - base.loc[y, k]
            for k, y in [
                ("employment_rate", YEAR),
                ("employed_locally", YEAR),
                ("income_per_capita", YEAR),
                ("relocated_population", 2035),
                ("relapse_risk_share", YEAR),
                ("fiscal_cost", YEAR),
            ]
        }
        print(
            f"| {p.label_en} {p.default:g} → {value:g} | {d['employment_rate']:+.3f} "
            f"| {d['employed_locally']:+,.0f} | {d['income_per_capita']:+,.0f} yuan "
            f"| {d['relocated_population']:+,.0f} | {d['relapse_risk_share'] * 100:+.2f} pp "
            f"| {d['fiscal_cost'] / 1e6:+,.0f} m yuan |"
        )


if __name__ == "__main__":
    main()
