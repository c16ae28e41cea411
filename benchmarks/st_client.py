"""A Streamlit client without a browser: Streamlit's own websocket protocol, for the load benchmarks.

One :class:`StreamlitClient` is one browser tab as the server sees it: a websocket at
``/_stcore/stream`` (subprotocol ``streamlit``), a ``BackMsg.rerun_script`` carrying a ``ClientState``
(query string, page, every widget state it knows) for each interaction, and the ``ForwardMsg``\\ s back:
``new_session`` at the start of each script run, ``delta``\\ s (the elements, by their ``delta_path``),
``script_finished``, ``auto_rerun`` for an ``st.fragment(run_every=...)`` and ``page_info_changed``
when the script changes the query string. It keeps what a browser keeps, and nothing is drawn:

- the page: the elements of the last finished run, by position (a full run's finish drops what the
  run did not send again; a fragment run's finish drops that fragment's older elements), as the
  frontend's stale-node rule does (``ClearStaleNodeVisitor``; ``streamlit.runtime.agent.interaction``
  keeps the same rule for the server's own agent client);
- the widget states: each widget's value as the last run drew it (its ``default``, or ``value`` when the
  script set it), sent back with every rerun; a button press is a ``trigger_value`` sent once. A slider's
  value is a ``double_array_value``, but a select slider's (``Slider.type == SELECT_SLIDER``) is a
  ``string_array_value`` of its options' labels (``options[default[i]]``, or ``raw_value`` when set):
  its indices as doubles make the script fail (``TypeError: must be real number, not str``);
- the fragments' timers: every ``auto_rerun.interval`` seconds a ``rerun_script`` with its
  ``fragment_id`` and ``is_auto_rerun`` (cancelled when a full run starts, as the frontend does).

Found against Streamlit 1.67 (Starlette server, ``streamlit/web/server/starlette/starlette_websocket.py``):
the ``Sec-WebSocket-Protocol`` header carries ``streamlit`` (then, optionally, the XSRF token and a
session id to resume); XSRF is only checked to read an auth cookie, and a connection without an
``Origin`` header is accepted, so no cookie or token is needed. The server runs nothing until the
client's first ``rerun_script`` (the page comes from its ``page_name``, the url path, e.g. ``room``).
No ``cached_message_hashes`` are sent, so every message comes whole (no ``ref_hash``).

    client = StreamlitClient("http://127.0.0.1:8501", "room", "room=ABCD2345")
    await client.connect()                      # the first run finished
    await client.act({client.widget("text_input", "Team").id: "Team 01"}, press="Join",
                     until=lambda c: c.button("Submit the proposal") is not None)
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Slider_pb2 import Slider
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

#: Widget kinds whose value the client keeps and sends back (others keep the server's last value).
VALUE_WIDGETS = ("slider", "text_input", "text_area", "checkbox", "number_input")


class ProtocolError(RuntimeError):
    """The server closed the socket, or a wait ran out; the message says which."""


@dataclass
class Drawn:
    """One element on the page: what it is, the run and fragment that drew it, when it arrived."""

    element: object  # streamlit.proto.Element_pb2.Element
    run: str
    fragment: str
    at: float


@dataclass
class Stats:
    """What a client saw: full runs finished, fragment runs, messages and bytes received."""

    full_runs: int = 0
    fragment_runs: int = 0
    messages: int = 0
    bytes: int = 0
    auto_reruns_sent: int = 0
    exceptions: list[str] = field(default_factory=list)


def _state_of(kind: str, widget) -> WidgetState | None:
    """A widget's state as the browser sends it, from the element the script drew (None: not kept)."""
    state = WidgetState(id=widget.id)
    if kind == "slider" and widget.type == Slider.Type.SELECT_SLIDER:  # its options' labels, not indices
        labels = widget.raw_value if widget.set_value else [widget.options[int(i)] for i in widget.default]
        state.string_array_value.data.extend(labels)
    elif kind == "slider":
        state.double_array_value.data.extend(widget.value if widget.set_value else widget.default)
    elif kind in ("text_input", "text_area"):
        state.string_value = widget.value if widget.set_value else widget.default
    elif kind == "checkbox":
        state.bool_value = widget.value if widget.set_value else widget.default
    elif kind == "number_input":
        state.double_value = widget.value if widget.set_value else widget.default
    else:
        return None
    return state


def value_state(widget_id: str, value) -> WidgetState:
    """A new value for a widget: a slider's float (or list of floats), a text input's str, a bool."""
    state = WidgetState(id=widget_id)
    if isinstance(value, bool):
        state.bool_value = value
    elif isinstance(value, str):
        state.string_value = value
    elif isinstance(value, list | tuple):
        state.double_array_value.data.extend(float(v) for v in value)
    else:
        state.double_array_value.data.append(float(value))
    return state


class StreamlitClient:
    """One session of a Streamlit app over its websocket (see the module docstring).

    Parameters
    ----------
    url : str
        The server, ``http://host:port``.
    page : str
        The page's url path (``st.navigation``), ``""`` for the main page.
    query : str
        The query string, without ``?``.
    auto_rerun : bool
        Whether to run the fragments' ``run_every`` timers, as a browser does.
    cookie : str
        A ``Cookie`` header sent with the websocket's opening request (``sd_replica=...``: the replica a
        sticky proxy, ``deploy/nginx.conf.template``, sends the session to).
    """

    def __init__(self, url: str, page: str = "", query: str = "", *, auto_rerun: bool = True, cookie: str = ""):
        self.url = url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + "/_stcore/stream"
        self.page, self.query, self.auto_rerun, self.cookie = page, query, auto_rerun, cookie
        self.page_hash = ""
        self.drawn: dict[tuple, Drawn] = {}
        self.widgets: dict[str, WidgetState] = {}
        self.stats = Stats()
        self._seen_widgets: set[str] = set()
        self._run, self._fragments_running = "", frozenset()
        self._timers: dict[str, asyncio.Task] = {}
        self._finished = asyncio.Condition()
        self._ws = None
        self._reader: asyncio.Task | None = None
        self._closed: str | None = None
        self.listeners: list[Callable[[Drawn], None]] = []  # called on each element as it arrives

    # ------------------------------------------------------------------ connection

    async def connect(self, timeout: float = 300.0) -> None:
        """Open the socket and ask for the first run, as a browser tab does on load; return once it finished."""
        headers = {"Cookie": self.cookie} if self.cookie else None  # (a sticky proxy's cookie)
        self._ws = await connect(self.url, subprotocols=[Subprotocol("streamlit")], max_size=None,
                                 open_timeout=timeout, ping_interval=None, additional_headers=headers)  # fmt: skip
        self._reader = asyncio.create_task(self._read(), name="st-client-read")
        await self.act(until=lambda c: True, timeout=timeout)

    async def close(self) -> None:
        for task in self._timers.values():
            task.cancel()
        self._timers.clear()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def __aenter__(self) -> StreamlitClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    # ------------------------------------------------------------------ what is on the page

    def elements(self, kind: str | None = None) -> list:
        """The page's elements in order (optionally those of one kind: ``"metric"``, ``"slider"``...)."""
        found = [d.element for _, d in sorted(self.drawn.items())]
        return [getattr(e, kind) for e in found if e.WhichOneof("type") == kind] if kind else found

    def widget(self, kind: str, label: str):
        """The widget (its proto: ``.id``, ``.label``, bounds) of a kind with this label, or None."""
        return next((w for w in self.elements(kind) if w.label == label), None)

    def button(self, label: str):
        return self.widget("button", label)

    def texts(self) -> list[str]:
        """The bodies of the page's text elements (markdown, captions, alerts, headings)."""
        out = []
        for element in self.elements():
            kind = element.WhichOneof("type")
            if kind in ("markdown", "alert", "heading", "text"):
                out.append(getattr(element, kind).body)
        return out

    def metrics(self) -> tuple[tuple[str, str, str], ...]:
        """The cards: each ``st.metric``'s label, value and delta, in page order."""
        return tuple((m.label, m.body, m.delta) for m in self.elements("metric"))

    # ------------------------------------------------------------------ interacting

    def _client_state(self, fragment: str = "", states: tuple = ()):
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.query
        rerun.page_script_hash = self.page_hash
        rerun.page_name = "" if self.page_hash else self.page
        if fragment:
            rerun.fragment_id, rerun.is_auto_rerun = fragment, True
        merged = dict(self.widgets)
        merged.update({s.id: s for s in states})
        rerun.widget_states.widgets.extend(merged.values())
        return msg, merged

    async def send(self, values: dict | None = None, press: str | None = None) -> None:
        """A rerun with new widget values (id -> value) and, optionally, the button labelled ``press`` clicked."""
        states = [value_state(i, v) for i, v in (values or {}).items()]
        if press is not None:
            button = self.button(press)
            if button is None:
                raise ProtocolError(f"no button {press!r} on the page")
            states.append(WidgetState(id=button.id, trigger_value=True))
        msg, merged = self._client_state(states=tuple(states))
        self.widgets = {i: s for i, s in merged.items() if not s.HasField("trigger_value")}
        await self._ws.send(msg.SerializeToString())

    async def act(self, values: dict | None = None, press: str | None = None, *, until=None, timeout=120.0) -> float:
        """Send a rerun (see :meth:`send`) and wait for a full run, finished after it, whose page satisfies
        ``until(client)``; the seconds it took."""
        async with self._finished:
            runs = self.stats.full_runs
        start = time.perf_counter()
        await self.send(values, press)
        await self.wait(lambda c: c.stats.full_runs > runs and (until is None or until(c)), timeout)
        return time.perf_counter() - start

    async def wait(self, condition: Callable[[StreamlitClient], bool], timeout: float = 120.0) -> None:
        """Wait until ``condition(client)`` holds, checked at each finished run."""
        async with self._finished:
            try:
                await asyncio.wait_for(self._finished.wait_for(lambda: self._closed or condition(self)), timeout)
            except TimeoutError:
                raise ProtocolError(f"no such run within {timeout:g} s") from None
        if self._closed:
            raise ProtocolError(self._closed)

    # ------------------------------------------------------------------ the reader

    async def _read(self) -> None:
        try:
            async for data in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(data)
                self.stats.messages += 1
                self.stats.bytes += len(data)
                await self._handle(msg)
        except Exception as err:  # the socket closed: every waiter is told
            self._closed = f"the socket closed: {type(err).__name__}: {err}"
        else:
            self._closed = "the server closed the socket"
        async with self._finished:
            self._finished.notify_all()

    async def _handle(self, msg: ForwardMsg) -> None:  # noqa: C901 (one branch a message type)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._run = msg.metadata.run.script_run_id
            self._fragments_running = frozenset(msg.metadata.run.fragment_ids)
            self._seen_widgets = set()
            if not self._fragments_running:  # a full run: the frontend drops the fragments' timers
                for task in self._timers.values():
                    task.cancel()
                self._timers.clear()
        elif kind == "navigation":
            self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "delta":
            self._delta(msg)
        elif kind == "auto_rerun" and self.auto_rerun:
            fragment = msg.auto_rerun.fragment_id
            if fragment not in self._timers:
                self._timers[fragment] = asyncio.create_task(self._tick(fragment, msg.auto_rerun.interval))
        elif kind == "stop_auto_rerun":
            for fragment in msg.stop_auto_rerun.fragment_ids:
                task = self._timers.pop(fragment, None)
                if task is not None:
                    task.cancel()
        elif kind == "script_finished":
            await self._finish(msg.script_finished)

    def _delta(self, msg: ForwardMsg) -> None:
        delta = msg.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        drawn = Drawn(element, self._run, delta.fragment_id, time.perf_counter())
        self.drawn[tuple(msg.metadata.delta_path)] = drawn
        kind = element.WhichOneof("type")
        if kind == "exception":
            self.stats.exceptions.append(f"{element.exception.type}: {element.exception.message[:120]}")
        if kind in VALUE_WIDGETS:
            widget = getattr(element, kind)
            self._seen_widgets.add(widget.id)
            if widget.id not in self.widgets or widget.set_value:
                state = _state_of(kind, widget)
                if state is not None:
                    self.widgets[widget.id] = state
        for listener in self.listeners:
            listener(drawn)

    async def _finish(self, status) -> None:
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:
            self.drawn = {p: d for p, d in self.drawn.items() if d.run == self._run}
            self.widgets = {i: s for i, s in self.widgets.items() if i in self._seen_widgets}
            self.stats.full_runs += 1
        elif status == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            running = self._fragments_running
            self.drawn = {p: d for p, d in self.drawn.items() if d.run == self._run or d.fragment not in running}
            self.stats.fragment_runs += 1
        else:
            return  # FINISHED_EARLY_FOR_RERUN: the next run follows
        async with self._finished:
            self._finished.notify_all()

    async def _tick(self, fragment: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            msg, _ = self._client_state(fragment=fragment)
            self.stats.auto_reruns_sent += 1
            await self._ws.send(msg.SerializeToString())
