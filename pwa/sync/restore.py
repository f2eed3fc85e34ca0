"""When the server has gone back in time (restored from a backup), phones bring it forward.

CouchDB's replication keeps a checkpoint on both sides and, when they disagree, asks the other
side which revisions it lacks (`_revs_diff`) and sends those. Ours (DESIGN.md, "Restore and the
data on the phone"):

1. The database names its history: `change_counter.epoch`. Restoring a backup gives it a new
   name (`flask --app pwa restore PATH` on SQLite, `flask --app pwa restored` after
   `pg_restore`), and every cursor carries the name it was given out under.
2. A phone whose cursor names another history, or a position past the last change this server
   has (a restore nobody marked), hears `409 server_restored` and nothing is applied.
3. The phone asks which of the records it holds the server lacks, or has only in an older
   version (`POST /api/v1/sync/held`, this module's `compare_with_server`; CouchDB compares
   revisions the same way), queues those in its outbox (as new records, or as changes on top
   of the server's version), forgets its cursor, and syncs again: they go through the
   ordinary sync path, with every trust-boundary check, and everything written on the server
   after the restore reaches the phone in the full pull that follows. Nobody does anything on
   the phones.

What comes back is the phone's copy: a record it pulled comes back as its projection showed it
(a staff phone holds whole records; a patient's phone only their own check-ins are sent back),
created by the phone's person, and audited as such.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from ..extensions import db
from ..models import User, WebSession, change_counter, new_epoch, utcnow
from ..scope import may_hold
from .feed import START, Position
from .records import RECORD_TYPES

# What each audience may create through sync, so what it is worth sending back after a restore.
SENT_BACK = {
    "staff": ("patient", "checkin", "followup", "referral", "contact"),
    "patient": ("checkin",),
}


@dataclass(frozen=True)
class History:
    """This database's history: its name, and the last change sequence number handed out."""

    epoch: str
    last: int

    def went_back(self, position: Position, epoch: str | None) -> bool:
        """Whether a cursor comes from a history this server no longer has."""
        if position == START and epoch is None:
            return False  # no cursor yet: nothing to have lost
        if epoch is not None and epoch != self.epoch:
            return True
        return position.key > self.last  # past the last change here: restored, nobody said so


def history() -> History:
    """Read this database's history (one row, one query per sync)."""
    epoch, last = db.session.execute(select(change_counter.c.epoch, change_counter.c.value)).one()
    return History(str(epoch), int(last))


def mark_restored() -> str:
    """Give the database's history a new name, so every phone sends back what it lacks.

    Every web session ends too: the backup holds sessions signed out since, which would
    otherwise work again. (Phones keep their tokens, so that they can send back what they hold
    without anyone signing in; revoke again any phone or person cut off since the backup.)
    """
    epoch = new_epoch()
    db.session.execute(update(change_counter).values(epoch=epoch))
    db.session.execute(
        update(WebSession)
        .where(WebSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason="restored")
    )
    return epoch


@dataclass(frozen=True)
class Comparison:
    """What a restored server lacks of what a phone holds."""

    missing: list[str]  # ids it has no record of: the phone sends them as new records
    behind: list[dict[str, Any]]  # {id, version}: it has an older version than the phone


def compare_with_server(
    actor: User, held: Iterable[tuple[str, uuid.UUID, int | None]]
) -> Comparison:
    """Of the records a phone holds (type, id, the version it holds), which this server lacks
    or has only in an older version (changed after the backup).

    Only types the caller may create are answered as missing, and only records the caller's
    phone may hold and change as behind: nothing else could be sent back. The answer grants
    nothing: what is sent back is judged like any other change.
    """
    staff = actor.is_staff
    allowed = SENT_BACK["staff" if staff else "patient"]
    by_type: dict[str, dict[uuid.UUID, int | None]] = defaultdict(dict)
    for type_name, record_id, version in held:
        if type_name in allowed:
            by_type[type_name][record_id] = version
    missing: list[str] = []
    behind: list[dict[str, Any]] = []
    for type_name, versions in by_type.items():
        kind = RECORD_TYPES[type_name]
        rows = db.session.scalars(select(kind.model).where(kind.model.id.in_(versions)))
        present = {row.id: row for row in rows}
        missing += sorted(str(i) for i in versions.keys() - present.keys())
        if not staff or kind.change is None:
            continue  # a patient's phone changes nothing after it is sent; check-ins never change
        for record_id, row in present.items():
            mine = versions[record_id]
            if mine is not None and mine > row.version and may_hold(actor, kind.patient_of(row)):
                behind.append({"id": str(record_id), "version": row.version})
    return Comparison(missing, sorted(behind, key=lambda entry: entry["id"]))
