"""The workshop database from the command line, for whoever runs the server: list the rooms, export one
(the facilitator's three files), delete one after the workshop. The database is ``SD_WORKSHOP_DB`` (else
the SQLite file), or ``--db URL``::

    python -m workshop rooms
    python -m workshop export CODE [--out DIR] [--lang en|zh]
    python -m workshop delete CODE --yes
    python -m workshop serve [--replicas 2] [--port 8501] [--address 0.0.0.0] [-- EXPLORER OPTIONS]

``serve`` runs the explorer as replicas behind nginx on this machine (:mod:`workshop.replicas`), all on
that database: for a room whose thirty teams may act in the same second on a machine with several cores.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sd_model.paths import ROOT

from .replicas import ServeError, serve
from .rooms import RoomError, delete_room, list_rooms, room_by_code
from .store import URL_ENV, StoreError, database_url, open_store


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m workshop", description=__doc__.splitlines()[0])
    p.add_argument("--db", help="database URL (default: SD_WORKSHOP_DB, else data/workshop/rooms.sqlite)")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("rooms", help="every room: code, created, round, teams, submissions, title")
    export = sub.add_parser("export", help="a room's CSV, scenario zip and HTML report")
    export.add_argument("code")
    export.add_argument("--out", type=Path, default=Path("."), help="folder for the three files (default: here)")
    export.add_argument("--lang", choices=("en", "zh"), default="en", help="language of the report")
    delete = sub.add_parser("delete", help="delete a room and everything in it")
    delete.add_argument("code")
    delete.add_argument("--yes", action="store_true", help="needed: the deletion cannot be undone")
    serve = sub.add_parser("serve", help="the explorer as replicas behind nginx on this machine")
    serve.add_argument("--replicas", type=int, default=2, choices=range(1, 9), metavar="1-8", help="(default 2)")
    serve.add_argument("--port", type=int, default=8501, help="the port nginx serves (default 8501)")
    serve.add_argument("--address", default="0.0.0.0", help="the address nginx listens on (default all)")
    serve.add_argument("--logs", type=Path, default=ROOT / "data" / "workshop" / "logs", help="the replicas' logs")
    serve.add_argument("explorer", nargs="*", help="after --: options of python -m explorer.serve (--mdl PATH)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    try:
        factory = open_store(args.db or database_url())
        with factory() as session:
            if args.command == "rooms":
                for room, teams, subs in list_rooms(session):
                    state = "open" if room.round_open else "closed"
                    print(f"{room.code}  {room.created:%Y-%m-%d %H:%M}  round {room.current_round} ({state})  "
                          f"{teams} teams  {subs} submissions  {room.title}")  # fmt: skip
                return 0
            room = room_by_code(session, args.code)
            if args.command == "delete":
                if not args.yes:
                    print(f"room {room.code} ({room.title}) not deleted: add --yes", file=sys.stderr)
                    return 2
                delete_room(session, room)
                print(f"room {args.code.upper()} deleted")
                return 0
            from explorer import room as room_page  # the explorer makes the files (the model's labels, charts)

            args.out.mkdir(parents=True, exist_ok=True)
            for file_name, data in room_page.export_files(session, room, args.lang).values():
                (args.out / file_name).write_bytes(data)
                print(args.out / file_name)
            return 0
    except (StoreError, RoomError) as err:
        print(f"python -m workshop: {err}", file=sys.stderr)
        return 2


def _serve(args) -> int:
    if args.db:
        os.environ[URL_ENV] = args.db  # the replicas' database
    try:
        open_store(database_url())  # checked (and made) once, before the replicas start
        serve(args.replicas, args.port, args.address, args.logs, args.explorer)
    except (StoreError, ServeError) as err:
        print(f"python -m workshop: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C (or SIGTERM) while the replicas were starting: all stopped
        print("python -m workshop: stopped before the replicas were ready", file=sys.stderr)
        return 130
    return 0
