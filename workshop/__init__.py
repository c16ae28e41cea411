"""The workshop room: teams propose lever settings, the room compares and votes, the facilitator adopts
one proposal a round, and every submission is kept in a database (docs/workshop.md).

``room_file`` reads a room's TOML, ``schema`` and ``migrations/`` hold the tables, ``store`` opens the
database (SQLite by default, PostgreSQL by URL) and ``rooms`` is what may be done in a room, and by whom.
"""

from .room_file import RoomFile, RoomFileError, parse_room_file, read_room_file
from .rooms import RoomError
from .store import StoreError, database_url, open_store

__all__ = [
    "RoomError",
    "RoomFile",
    "RoomFileError",
    "StoreError",
    "database_url",
    "open_store",
    "parse_room_file",
    "read_room_file",
]
