"""The workshop room: create a room, join it as a team and propose, the room's screen, the facilitator's
controls. The address says which: ``/room`` (create), ``/room?room=CODE`` (a participant),
``/room?room=CODE&screen=1`` (the projector), ``/room?room=CODE&key=TOKEN`` (the facilitator)."""

import uuid

import streamlit as st

from explorer import compute, room, state
from explorer.i18n import LANGUAGES, t
from explorer.turns import TURNS, TURNS_PROBLEM
from explorer.widgets import card_text, kpi_cards, kpi_grid, parameter_slider, robustness_strip
from workshop import rooms
from workshop.room_file import RoomFileError, parse_room_file


def create(language: str) -> None:
    st.header(t("room_create", language))
    st.caption(t("room_create_note", language))
    files = room.room_files()
    chosen = st.selectbox(t("room_file", language), list(files), key="room_file_choice") if files else None
    upload = st.file_uploader(t("room_upload", language), type=["toml"], key="room_upload")
    if not st.button(t("room_create_button", language), key="room_create_button", type="primary"):
        return
    try:
        raw = upload.getvalue() if upload is not None else files[chosen].read_bytes()
        room_file = parse_room_file(raw, compute.model(), upload.name if upload is not None else f"{chosen}.toml")
        if room_file.story and room_file.story not in compute.cached_stories():
            raise RoomFileError(f"story {room_file.story!r} is not one of the model's stories")
        with room.store()() as session:
            created = rooms.create_room(session, room_file, compute.model().digest)
    except (RoomFileError, rooms.RoomError, OSError, KeyError) as err:
        room.room_error(language, err)
        return
    st.success(t("room_created", language, code=created.code))
    st.markdown(t("room_links", language))
    st.code(f"/room?room={created.code}&key={created.token}", language=None)
    st.code(f"/room?room={created.code}", language=None)
    st.code(f"/room?room={created.code}&screen=1", language=None)


def open_room(code, language: str):
    """The room and its checked file, or a warning (and None) for a code that names no room."""
    try:
        with room.store()() as session:
            found = st.session_state.setdefault("_join_guard", rooms.JoinGuard()).room(
                session, st.session_state.setdefault("_browser", uuid.uuid4().hex), code
            )
        return found, room.checked_room_file(found.room_file)
    except (rooms.RoomError, RoomFileError) as err:
        room.room_error(language, err)
        return None, None


def room_language(code: str, room_file) -> str:
    """The language of a room's pages: on entering the room, the link's (``lang=``) or else the room
    file's; then the sidebar's choice. Returns it (the page is run again where it changed)."""
    entered = st.session_state.setdefault("_room_languages", set())
    if code not in entered:
        entered.add(code)
        asked = st.query_params.get("lang")
        wanted = asked if asked in LANGUAGES else room_file.language
        if wanted != state.lang():
            st.session_state["lang"] = wanted
            st.rerun()  # (the page's title was drawn in the other language)
    with st.sidebar:
        st.radio(t("language", state.lang()), list(LANGUAGES), format_func=LANGUAGES.get, key="lang", horizontal=True)
    return state.lang()


def participant(code, language: str) -> None:
    found, room_file = open_room(code, language)
    if found is None:
        return
    language = room_language(found.code, room_file)
    st.header(room_file.title(language))
    team_key = f"team_{found.code}"
    if team_key not in st.session_state:
        join(found, room_file, team_key, language)
        return
    team_id, token = st.session_state[team_key]
    with room.store()() as session:
        current = session.get(type(found), found.id)
        try:
            team = rooms.team_of(session, current, team_id, token)
        except rooms.RoomError as err:
            room.room_error(language, err)
            return
        adopted = rooms.adopted(session, current)
        proposals = rooms.proposals(session, current)
    mine = next((s for tm, s in proposals if tm.id == team.id), None)
    others = [(tm, s) for tm, s in proposals if tm.id != team.id]
    this_round = room_file.rounds[current.current_round - 1]
    st.subheader(t("room_you", language, team=room.plain(team.name), label=this_round.label(language)))
    start_page(room_file, team.role, language)
    if not current.round_open:
        st.info(t("room_closed", language, n=current.current_round))
        return
    where = (found.code, current.current_round, team.id)
    levers = proposal_sliders(room_file, adopted, where, mine, team.role, language)
    scored = room.score(room.rounds_key(room_file, adopted, current.current_round, levers))
    baseline = room.score(room.rounds_key(room_file, adopted, current.current_round, {}))  # the room's settings so far
    proposal_results(scored, baseline, language)
    rationale = st.text_area(
        t("room_rationale", language), max_chars=rooms.MAX_RATIONALE, key=f"rationale_{found.code}"
    )
    if st.button(t("room_submit", language), key="room_submit", type="primary"):
        kpis = scored.kpis | {"cost": scored.cost, "robust": scored.robust}
        try:
            with room.store()() as session:
                current = session.get(type(found), found.id)
                team = rooms.team_of(session, current, team_id, token)
                digest = compute.model().digest
                rooms.submit(session, current, team, levers, rationale, kpis, digest, key=uuid.uuid4().hex)
            st.success(t("room_submitted", language))
        except rooms.RoomError as err:
            room.room_error(language, err)
    if others:
        st.subheader(t("room_vote", language))
        names = {tm.id: room.plain(tm.name) for tm, _ in others}
        choice = st.radio(t("room_vote_for", language), list(names), format_func=names.get, key="room_vote_choice")
        if st.button(t("room_vote_button", language), key="room_vote_button"):
            try:
                with room.store()() as session:
                    current = session.get(type(found), found.id)
                    rooms.vote(session, current, rooms.team_of(session, current, team_id, token), choice)
                st.success(t("room_voted", language))
            except rooms.RoomError as err:
                room.room_error(language, err)


def proposal_results(scored, baseline, language: str) -> None:
    """What the team's levers do, as on the Explore page: the KPI cards, the share of futures meeting each
    target and the KPIs over time with their bands, each against the room's settings so far."""
    kpi_cards(scored.run, baseline.run, language)
    cost = compute.cost_output()
    if cost:
        value, change = card_text(cost, scored.cost, baseline.cost, language)
        st.metric(t("room_cost", language), value, change, delta_color="inverse", help=t("room_cost_help", language))
    source = "posterior" if compute.has_posterior() else "prior"
    if not scored.shares.empty:
        note = t(f"strip_note_{source}", language, n=room.ROOM_FUTURES, file=compute.targets_label())
        robustness_strip(scored.shares, baseline.shares, note, language)
    series = t("room_series_proposal", language), t("room_series_room", language)
    kpi_grid(dict(zip(series, (scored.run, baseline.run), strict=True)), scored.bands, language, dash=series[1],
             key="room_kpi")  # fmt: skip
    if scored.bands is not None:
        st.caption(t(f"band_note_{source}", language, n=room.ROOM_FUTURES))


def join(found, room_file, team_key: str, language: str) -> None:
    st.subheader(t("room_join", language))
    name = st.text_input(t("room_team", language), max_chars=rooms.MAX_TEAM_NAME, key="room_team_name")
    roles = {r.id: r.label(language) for r in room_file.roles}
    role = (
        st.selectbox(t("room_role", language), list(roles), format_func=roles.get, key="room_role") if roles else None
    )
    if role is not None and room_file.role(role).brief(language):
        st.caption(room_file.role(role).brief(language))
    if st.button(t("room_join_button", language), key="room_join_button", type="primary"):
        try:
            with room.store()() as session:
                joined = rooms.join(session, session.get(type(found), found.id), room_file, name, role)
        except rooms.RoomError as err:
            room.room_error(language, err)
            return
        st.session_state[team_key] = (joined.team_id, joined.token)
        st.rerun()


def start_page(room_file, role_id, language: str) -> None:
    """A team's start page: its role's brief (where the room gives one) and the room's story."""
    role = room_file.role(role_id)
    if role is not None and role.brief(language):
        st.info(f"**{role.label(language)}**: {role.brief(language)}")
    story_background(room_file, language)


def story_background(room_file, language: str) -> None:
    """The room's story (its steps' titles and texts) in an expander, and the link to walk through it."""
    story = compute.cached_stories().get(room_file.story) if room_file.story else None
    if story is None:
        return
    # Drawn only while open (its steps are sent on every run of a team's page otherwise)
    with st.expander(t("room_story", language, title=story.title(language)), key="room_story_open",
                     on_change="rerun") as panel:  # fmt: skip
        if not panel.open:
            return
        for step in story.steps:
            st.markdown(f"**{step.title(language)}** {step.text(language)}")
        st.page_link("explorer/views/workshop.py", label=t("room_story_link", language),
                     query_params={"story": story.name})  # fmt: skip


def proposal_sliders(room_file, adopted: dict, where: tuple, mine, role_id, language: str) -> dict[str, float]:
    """The sliders of the levers the team's role moves (:meth:`RoomFile.levers_of`). When the team enters a
    round (``where``: room code, round, team) they start from its last proposal in the round on top of the
    settings the room adopted in the rounds before (:func:`explorer.room.round_settings`), else the
    model's defaults."""
    table = compute.model().parameter_table
    levers = room_file.levers_of(role_id)
    if st.session_state.get("_room_sliders") != where:
        start = room.round_settings(room_file, adopted, where[1], mine.levers if mine is not None else {})[-1][1]
        for name in levers:
            st.session_state[state.key(name)] = float(start.get(name, table[name].default))
        st.session_state["_room_sliders"] = where
    with st.sidebar:  # where the explorer has its levers
        st.subheader(t("room_levers", language))
        for name in levers:
            parameter_slider(table[name], set(), language)
    return {name: float(st.session_state[state.key(name)]) for name in levers}


def screen(code, language: str, facilitator_token=None) -> None:
    found, room_file = open_room(code, language)
    if found is None:
        return
    if facilitator_token is not None:
        try:
            with room.store()() as session:
                rooms.facilitator_room(session, code, facilitator_token)
        except rooms.RoomError as err:
            room.room_error(language, err)
            return
    language = room_language(found.code, room_file)
    st.header(room_file.title(language))
    st.markdown(f"## {t('room_code', language)}: `{found.code}`")
    story_background(room_file, language)

    with room.store()() as session:
        version = rooms.version(session, found.id)
    if version is None:  # deleted since it was opened
        room.room_error(language, rooms.RoomError("no room has this code"))
        return
    view = room.screen_view(found.id, version, language)
    st.subheader(view.title)
    st.caption(view.teams)
    st.caption(view.proposals)
    if view.frame.empty:
        st.info(t("room_no_proposals", language))
    else:
        st.dataframe(view.frame.drop(columns="_id"), hide_index=True, column_config=view.columns, key="room_proposals")
        st.caption(t("room_chart_note", language))
        charts = st.columns(min(3, len(view.charts)) or 1)
        for i, spec in enumerate(view.charts):
            charts[i % len(charts)].vega_lite_chart(spec, width="stretch")
    if facilitator_token is not None:
        controls(found, room_file, view.choices, view.round_open, facilitator_token, language)

    @st.fragment(run_every=room.REFRESH)
    def watch():
        """Every second, one cheap question (the room's version); the page is drawn again only when it changed."""
        with room.store()() as session:
            now = rooms.version(session, found.id)
        if now != version:
            st.rerun()

    watch()


def controls(found, room_file, names: dict[int, str], round_open: bool, token, language: str) -> None:
    st.subheader(t("room_facilitator", language))
    chosen = st.selectbox(t("room_adopt_which", language), list(names), format_func=names.get, key="room_adopt_choice")
    actions = (  # (label and key, disabled, what it does to the room), each checked against the token first
        ("room_adopt", not (round_open and names), lambda session, owner: rooms.adopt(session, owner, chosen)),
        ("room_next", round_open, lambda session, owner: rooms.open_next_round(session, owner, room_file)),
        ("room_delete", not names, lambda session, owner: rooms.delete_submission(session, owner, chosen)),
    )
    for column, (key, disabled, act) in zip(st.columns(3), actions, strict=True):
        if column.button(t(key, language), key=key, disabled=disabled):
            try:
                with room.store()() as session:
                    act(session, rooms.facilitator_room(session, found.code, token))
            except rooms.RoomError as err:
                room.room_error(language, err)
            else:
                st.rerun()
    # The exports are made only while their panel is open, once a version of the room (explorer.room.exports)
    with st.expander(t("room_exports", language), key="room_exports_open", on_change="rerun") as panel:
        if panel.open:
            with room.store()() as session:
                owner = rooms.facilitator_room(session, found.code, token)
                files = room.exports(owner.id, rooms.version(session, owner.id), language)
            for column, (name, (file_name, data)) in zip(st.columns(3), files.items(), strict=True):
                column.download_button(t(f"room_export_{name}", language), data, file_name, key=f"room_{name}")
    with st.expander(t("room_delete_room", language)):
        st.caption(t("room_delete_room_note", language))
        typed = st.text_input(t("room_delete_room_confirm", language), key="room_delete_confirm")
        confirmed = typed.strip().upper() == found.code
        if st.button(t("room_delete_room", language), key="room_delete_room", disabled=not confirmed):
            try:
                with room.store()() as session:
                    rooms.delete_room(session, rooms.facilitator_room(session, found.code, token))
            except rooms.RoomError as err:
                room.room_error(language, err)
            else:
                st.rerun()  # the page now says the code names no room


def show(language: str) -> None:
    if TURNS_PROBLEM:  # a bad setting of whoever runs the server
        st.error(TURNS_PROBLEM)
        return
    query = st.query_params
    code = query.get("room")
    if not code:
        create(language)
    elif query.get("key"):
        screen(code, language, facilitator_token=query.get("key"))
    elif query.get("screen"):
        screen(code, language)
    else:
        with TURNS:
            participant(code, language)


show(state.lang())
