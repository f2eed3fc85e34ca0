"""When the server has gone back in time (restored from a backup), phones bring it forward.

CouchDB's replication keeps a checkpoint on both sides and, when they disagree, asks the other
side which revisions it lacks (`_revs_diff`) and sends those. Ours (DESIGN.md, "Restore and the
data on the phone"):

1. The database names its history: `change_counter.epoch`. Restoring a backup gives it a new
   name (`flask --app pwa restore PATH` on SQLite, `flask --app pwa restored` after
   `pg_restore`), and every cursor carries the name it was given out under.
2. A phone whose cursor names another history, or a position past the last change this server
   has (a restore nobody marked), hears `409 server_restored` and nothing is applied.
3. The phone asks which of the records it holds the server lacks (`POST /api/v1/sync/held`,
   this module's `missing_from_server`), queues those as new records in its outbox, forgets
   its cursor, and syncs again: the records are created through the ordinary sync path, with
   every trust-boundary check, and everything written on the server after the restore reaches
   the phone in the full pull that follows. Nobody does anything on the phones.

What comes back is the phone's copy: a record it pulled comes back as its projection showed it
(a staff phone holds whole records; a patient's phone only their own check-ins are sent back),
created by the phone's person, and audited as such.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, update

from ..extensions import db
from ..models import User, change_counter, new_epoch
from .feed import START, Position
from .records import RECORD_TYPES

# What each audience may create through sync, so what it is worth sending back after a restore.
SENT_BACK = {"staff": ("patient", "checkin", "followup", "referral"), "patient": ("checkin",)}


def current_epoch() -> str:
    """The name of this database's history."""
    return str(db.session.scalar(select(change_counter.c.epoch)))


def went_back(position: Position, epoch: str | None) -> bool:
    """Whether a cursor comes from a history this server no longer has."""
    if position == START and epoch is None:
        return False  # no cursor yet: nothing to have lost
    here, last = db.session.execute(select(change_counter.c.epoch, change_counter.c.value)).one()
    if epoch is not None and epoch != here:
        return True
    return bool(position.key > last)  # past the last change here: restored, nobody said so


def mark_restored() -> str:
    """Give the database's history a new name, so every phone sends back what it lacks."""
    epoch = new_epoch()
    db.session.execute(update(change_counter).values(epoch=epoch))
    return epoch


def missing_from_server(actor: User, held: Iterable[tuple[str, uuid.UUID]]) -> list[str]:
    """Of the records a phone holds (type, id), the ids this server has no record of.

    Only types the caller may create are answered: nothing else could be sent back. Saying
    "missing" grants nothing: what is sent back is judged like any new record.
    """
    allowed = SENT_BACK["staff" if actor.is_staff else "patient"]
    by_type: dict[str, set[uuid.UUID]] = defaultdict(set)
    for type_name, record_id in held:
        if type_name in allowed:
            by_type[type_name].add(record_id)
    missing: list[str] = []
    for type_name, ids in by_type.items():
        model = RECORD_TYPES[type_name].model
        present = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
        missing += sorted(str(record_id) for record_id in ids - present)
    return missing
