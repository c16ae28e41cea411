"""How many team pages of a workshop room the server computes at a time: the others' scripts wait their turn.

Streamlit runs each session's script in a thread of one process; thirty of them at once on two cores share
the interpreter's lock, switch between each other and all finish late. :data:`TURNS` lets a few run at a time
(``SD_ROOM_TURNS``, default the machine's cores), so that they finish one after another.
"""

from __future__ import annotations

import os
import threading

#: Environment variable: how many team pages the server computes at a time (default: its cores).
TURNS_ENV = "SD_ROOM_TURNS"


def turns(environ=os.environ) -> int:
    """Team pages computed at a time (:data:`TURNS_ENV`, else the machine's cores).

    Thirty sessions running their scripts at once on two cores share the interpreter's lock and finish
    together, late; taken a few at a time they finish one after another (benchmarks/bench_workshop.py: in
    a burst of 30 moves, p95 move -> cards 2.16 -> 1.60-1.68 s and 0.187 -> 0.146-0.160 CPU-s a move).

    Raises
    ------
    ValueError
        For a value that is not a whole number from 1 to 64, naming the variable.
    """
    text = environ.get(TURNS_ENV)
    if text is None:
        return os.cpu_count() or 2
    if not text.strip().isdigit() or not 1 <= int(text) <= 64:
        raise ValueError(f"{TURNS_ENV} must be a whole number from 1 to 64, not {text!r}")
    return int(text)


try:
    TURNS, TURNS_PROBLEM = threading.BoundedSemaphore(turns()), None
except ValueError as err:  # the room's pages say so (explorer.views.room) instead of a traceback
    TURNS, TURNS_PROBLEM = threading.BoundedSemaphore(1), str(err)
