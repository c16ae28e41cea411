"""Where: a model split by place and type of resettlement site, on a tile map and by type."""

import streamlit as st

from explorer import compute, state, where
from explorer.i18n import t
from sd_model.split import read_sites


def show(language: str) -> None:
    model = compute.model()
    outputs = where.split_outputs(list(model.output_names))
    if not outputs:
        st.info(t("where_none", language))
        return
    labels = compute.labels(language)
    types = {kind["id"]: kind[f"label_{language}"] for kind in read_sites().types}
    values = state.current_values()
    results, baseline = compute.run_of(values), compute.policy_baseline(values)
    left, right = st.columns(2)
    first = [k for k in model.kpis if k in outputs] or outputs
    output = left.selectbox(
        t("where_output", language), outputs, index=outputs.index(first[min(1, len(first) - 1)]),
        format_func=labels.get, key="where_output",
    )  # fmt: skip
    times = list(results.index)
    year = right.select_slider(t("where_year", language), times, value=compute.headline_time(), key="where_year")
    title = labels[output]
    table, problem = where.places(model.mdl_file, list(where.elements(results.columns, output, "place")))
    if problem:
        st.warning(t("where_bad_places", language, error=problem))
    st.subheader(t("where_map", language, output=title, year=year))
    frame = where.place_frame(results, baseline, output, year, table, language)
    st.altair_chart(where.tile_map(frame, title, language), width="stretch", key="where_tiles")
    st.caption(t("where_map_note", language))
    st.subheader(t("where_types", language, output=title))
    chart = where.type_chart(where.type_frame(results, baseline, output, types), title, language, list(types.values()))
    st.altair_chart(chart, key="where_type_chart")
    st.subheader(t("where_table", language, output=title, year=year))
    st.dataframe(
        where.site_table(results, output, year, table, types, language).style.format("{:,.3f}"), key="where_sites"
    )
    robustness_by_site(values, table, types, language)


def robustness_by_site(values: dict[str, float], table, types: dict[str, str], language: str) -> None:
    """Which sites miss a target in most futures: the share of futures meeting it, place x type."""
    targets = {x.name: x for x in compute.cached_targets()}
    if not targets:
        return
    levers = tuple(sorted((p.name, values[p.name]) for p in compute.lever_parameters()))
    shares = compute.cached_site_futures(levers).shares()
    names = [n for n in targets if n in shares.columns]
    if not names:
        return
    st.subheader(t("where_robust", language))
    name = st.selectbox(
        t("where_target", language), names, format_func=lambda n: targets[n].label(language), key="where_target"
    )
    grid = where.site_grid(shares[name], table, types, language)
    bars = {c: st.column_config.ProgressColumn(c, format="percent", min_value=0.0, max_value=1.0) for c in grid}
    st.dataframe(grid, column_config=bars, key="where_robust")
    source = "posterior" if compute.has_posterior() else "ranges"
    st.caption(t(f"where_robust_note_{source}", language, n=compute.SITE_FUTURES))
    sites = list(shares.index)
    site = st.selectbox(
        t("where_site", language),
        sites,
        index=sites.index(where.worst_site(shares[name])),
        format_func=lambda s: where.site_name(s, table, types, language),
        key="where_site",
    )
    st.markdown(t("where_prim", language))
    st.text(compute.cached_site_box(levers, site, name, where.site_name(site, table, types, language), language))


show(state.lang())
