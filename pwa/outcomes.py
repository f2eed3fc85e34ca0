"""The outcomes report: what the service achieved over a stretch of days, for the practice.

Each figure is one aggregate query, whatever the number of patients: the database counts and
groups, and hands back at most one row per group (per measure's change value, per asset and
status, per worker and point in time). Means, medians and shares are then worked out here from
those counts, exactly, with no second trip to the database and no loop over patients.

Filters: a span of practice days (in the practice's time zone), one link worker (the patients
on their caseload now) and one need. Patients are counted by their record as it is now: a
patient moved between link workers counts for the one who has them today.

Minimal important differences are the ones the instruments' authors publish (`MIDS`); where
none is published the report says so and shows the share who improved at all, never a guess.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, scoped_session

from .models import (
    DISCHARGE_REASONS,
    NEEDS,
    AssetReferral,
    CheckIn,
    CommunityAsset,
    Contact,
    FollowUp,
    Patient,
    User,
)
from .models.base import UTCDateTime
from .progress import TRACKED, Tracked

# The minimal important difference, in the measure's own points, that its authors publish.
#
# SWEMWBS: Shah N, Cader M, Andrews WP, Wijesekera D, Stewart-Brown SL. "Responsiveness of the
#   Short Warwick Edinburgh Mental Well-Being Scale (SWEMWBS): evaluation in a clinical sample."
#   Health Qual Life Outcomes 2018;16:239, doi:10.1186/s12955-018-1060-2 (the Warwick team who
#   made the scale): "a change of between 1 and 3 points meets thresholds for statistically
#   important change" for an individual, 1 SEM (1.03 points) to 2.77 SEM (2.87 points). We count
#   the top of that range, 3 metric points, so that "improved" means improved by any standard.
# ONS4: the ONS publishes thresholds for levels (low, medium, high, very high), not a minimal
#   important change for a person. UCLA-3 (Hughes ME et al., Res Aging 2004;26:655) publishes
#   none either. For these the report shows any improvement, and says that it does.
MIDS: dict[str, float] = {"swemwbs.metric": 3.0}
MID_SOURCES: dict[str, str] = {
    "swemwbs.metric": "Shah et al. 2018, Health and Quality of Life Outcomes 16:239",
}

REFERRAL_STAGES = ("suggested", "referred", "attended", "declined")
# Logged contacts that mean the patient was seen: not a message, not a call nobody answered.
SEEN_CONTACTS = ("visit", "phone", "group_session")
# A worker's caseload is sampled at the end of each week for a short span, each month (or
# every few months) for a longer one: so the chart and its table stay readable.
WEEKLY_UP_TO_DAYS = 92
MOST_SAMPLES = 24
# How a moment and a score's hundredths are packed into one integer (see Report.changes).
PACK = 10_000


@dataclass(frozen=True)
class ReportFilters:
    since: date
    until: date
    worker_id: uuid.UUID | None = None
    need: str | None = None

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments, for the CSV links."""
        found = {"from": self.since, "to": self.until, "worker": self.worker_id,
                 "need": self.need}  # fmt: skip
        return {key: str(value) for key, value in found.items() if value}


def months_per_sample(filters: ReportFilters) -> int:
    """How many months apart caseloads are counted (0: weekly, for a span of up to 92 days)."""
    since, until = filters.since, filters.until
    if (until - since).days <= WEEKLY_UP_TO_DAYS:
        return 0
    months = (until.year - since.year) * 12 + until.month - since.month + 1
    return -(-months // MOST_SAMPLES)  # rounded up


def sample_words(filters: ReportFilters) -> str:
    """When caseloads are counted, in words: "each week", "each month", "every 3 months"."""
    step = months_per_sample(filters)
    return "each week" if step == 0 else "each month" if step == 1 else f"every {step} months"


def default_span(today: date) -> tuple[date, date]:
    """The last twelve months: from the first of the month eleven months ago to today."""
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), today


def read_filters(
    args: Mapping[str, str], today: date, workers: Iterable[uuid.UUID]
) -> tuple[ReportFilters, dict[str, str]]:
    """Filters from the page's query arguments, and what was wrong with any.

    A span with anything wrong is replaced whole by the default (the last 12 months), which
    the page then says; a worker or need that is wrong is left out.
    """
    problems: dict[str, str] = {}
    since, until = default_span(today)
    earliest, latest = date(2000, 1, 1), today.replace(year=today.year + 1, day=28)

    def a_day(name: str, default: date) -> date | None:
        try:
            day = date.fromisoformat(args[name]) if args.get(name) else default
        except ValueError:
            problems[name] = "Enter a real date, like 2026-11-28"
            return None
        if not earliest <= day <= latest:
            problems[name] = f"Enter a date from 1 January 2000 to {latest.day} {latest:%B %Y}"
            return None
        return day

    chosen_since, chosen_until = a_day("from", since), a_day("to", until)
    if chosen_since and chosen_until:
        if chosen_since > chosen_until:
            problems["to"] = "The end date must be on or after the start date"
        else:
            since, until = chosen_since, chosen_until
    worker_id = None
    if args.get("worker"):
        try:
            worker_id = uuid.UUID(args["worker"])
        except ValueError:
            worker_id = None
        if worker_id not in set(workers):
            problems["worker"] = "Choose a link worker from the list"
            worker_id = None
    need = args.get("need") or None
    if need is not None and need not in NEEDS:
        problems["need"] = "Choose a need from the list"
        need = None
    return ReportFilters(since, until, worker_id, need), problems


# ---------------------------------------------------------------------------------------------
# The figures, as plain data.


@dataclass(frozen=True)
class People:
    referred_in: int
    seen: int
    discharged: int
    # (reason code or None, how many), most first.
    discharge_reasons: tuple[tuple[str | None, int], ...]

    def reason_rows(self) -> list[tuple[str, int]]:
        return [(DISCHARGE_REASONS.get(code or "", "Not recorded"), n)
                for code, n in self.discharge_reasons]  # fmt: skip


@dataclass(frozen=True)
class Change:
    """First-versus-latest change of one tracked score, across the patients who have two."""

    tracked: Tracked
    # (change in points, how many patients), in rising order of change.
    counts: tuple[tuple[float, int], ...]

    @property
    def patients(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def mean(self) -> float | None:
        if not self.patients:
            return None
        return round(sum(value * n for value, n in self.counts) / self.patients, 2)

    @property
    def median(self) -> float | None:
        return _median_of_counts(self.counts)

    @property
    def mid(self) -> float | None:
        return MIDS.get(self.tracked.key)

    @property
    def mid_source(self) -> str | None:
        return MID_SOURCES.get(self.tracked.key)

    def _better(self, value: float) -> float:
        return value if self.tracked.higher_is_better else -value

    @property
    def threshold(self) -> float:
        """How much better counts as improved: the MID, or any amount where none is published."""
        return self.mid if self.mid is not None else 0.01

    def share(self, better: bool) -> tuple[int, float | None]:
        """How many improved (or worsened) by at least the threshold, and what share that is."""
        n = sum(c for value, c in self.counts
                if self._better(value if better else -value) >= self.threshold)  # fmt: skip
        return n, (round(100 * n / self.patients, 1) if self.patients else None)

    def bins(self) -> list[tuple[str, int]]:
        """The distribution: worse by at least the threshold, less than it either way, better."""
        better, _ = self.share(True)
        worse, _ = self.share(False)
        size = "the MID" if self.mid is not None else "any amount"
        return [
            (f"Worse by {size}", worse),
            (
                "About the same" if self.mid is not None else "No change",
                self.patients - better - worse,
            ),
            (f"Better by {size}", better),
        ]

    def histogram(self) -> list[tuple[str, int]]:
        """How many changed by each whole number of points (rounded half away from zero)."""
        by_point: dict[int, int] = {}
        for value, n in self.counts:
            point = int(Decimal(str(value)).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
            by_point[point] = by_point.get(point, 0) + n
        return [(f"{point:+d}" if point else "0", n) for point, n in sorted(by_point.items())]


@dataclass(frozen=True)
class AssetFunnel:
    asset_id: uuid.UUID
    name: str
    counts: Mapping[str, int]
    # (whole days from referral to attendance, how many), rising.
    days: tuple[tuple[int, int], ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def at(self, stage: str) -> int:
        return self.counts.get(stage, 0)

    @property
    def reached_referred(self) -> int:
        """Referred, whatever came after (attended counts: nobody attends unreferred)."""
        return self.at("referred") + self.at("attended")

    @property
    def median_days(self) -> float | None:
        return _median_of_counts(self.days)


@dataclass(frozen=True)
class CaseloadPoint:
    at: date
    # worker id -> active patients at the end of that day
    sizes: Mapping[uuid.UUID, int]


@dataclass(frozen=True)
class Caseloads:
    points: tuple[CaseloadPoint, ...]
    workers: tuple[tuple[uuid.UUID, str], ...]

    def series(self, worker_id: uuid.UUID) -> list[int]:
        return [point.sizes.get(worker_id, 0) for point in self.points]

    def highest(self) -> list[int]:
        return [max((point.sizes.get(w, 0) for w, _ in self.workers), default=0)
                for point in self.points]  # fmt: skip

    def median(self) -> list[float]:
        found = []
        for point in self.points:
            sizes = sorted(point.sizes.get(w, 0) for w, _ in self.workers)
            found.append(_median_of_counts(tuple((s, 1) for s in sizes)) or 0)
        return found


def _median_of_counts(counts: Sequence[tuple[float, int]]) -> float | None:
    """The median of values given as (value, how many) in rising order of value.

    The mean of the two middle values for an even number, as statistics.median gives.
    """
    total = sum(n for _, n in counts)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[float] = []
    seen = 0
    for value, n in counts:
        while len(found) < 2 and wanted[len(found)] < seen + n:
            found.append(value)
        seen += n
    return round((found[0] + found[1]) / 2, 2)


# ---------------------------------------------------------------------------------------------
# The queries.


class Report:
    """The report's queries for one set of filters, in one database session."""

    def __init__(
        self, session: Session | scoped_session[Any], filters: ReportFilters, zone: ZoneInfo
    ) -> None:
        self.session, self.filters, self.zone = session, filters, zone
        self.start = datetime.combine(filters.since, time(), zone)
        self.end = datetime.combine(filters.until + timedelta(days=1), time(), zone)

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _in_span(self, moment: Any) -> ColumnElement[bool]:
        return and_(moment >= self.start, moment < self.end)

    def _of_chosen(self, patient_id: Any) -> list[ColumnElement[bool]]:
        """Conditions that a record's patient is one the filters choose (none if no filter).

        A set the database works out once, rather than a join tested on every record.
        """
        chosen = self._chosen()
        if not chosen:
            return []
        return [patient_id.in_(select(Patient.id).where(*chosen))]

    def _chosen(self) -> list[ColumnElement[bool]]:
        """Conditions on Patient for the worker and need filters."""
        found: list[ColumnElement[bool]] = []
        if self.filters.worker_id:
            found.append(Patient.link_worker_id == self.filters.worker_id)
        if self.filters.need:
            found.append(self._has_need(self.filters.need))
        return found

    def _has_need(self, need: str) -> ColumnElement[bool]:
        if self._dialect() == "postgresql":
            return cast(Patient.needs, JSONB).contains([need])
        each = func.json_each(Patient.needs).table_valued("value")
        return exists(select(literal(1)).select_from(each).where(each.c.value == need))

    def _whole_days(self, earlier: Any, later: Any) -> ColumnElement[int]:
        """Whole days from one moment to a later one (CAST truncates; the span is not negative)."""
        if self._dialect() == "postgresql":
            return cast(func.floor(func.extract("epoch", later - earlier) / 86400), Integer)
        return cast(func.julianday(later) - func.julianday(earlier), Integer)

    def people(self) -> People:
        """Referred in, seen by a link worker, discharged (and why): one query.

        "Seen" asks, patient by patient, whether any contact falls in the span; each question
        stops at the first check-in, follow-up or logged contact it finds, by the patient's index.
        """
        chosen = self._chosen()
        referred_in = (
            select(func.count()).select_from(Patient)
            .where(self._in_span(Patient.created_at), *chosen).scalar_subquery()
        )  # fmt: skip
        checked_in = exists().where(
            CheckIn.patient_id == Patient.id, CheckIn.source == "link_worker",
            self._in_span(CheckIn.captured_at),
        )  # fmt: skip
        visited = exists().where(
            FollowUp.patient_id == Patient.id, FollowUp.kind.in_(("visit", "call")),
            self._in_span(FollowUp.done_at),
        )  # fmt: skip
        contacted = exists().where(
            Contact.patient_id == Patient.id, Contact.kind.in_(SEEN_CONTACTS),
            self._in_span(Contact.happened_at),
        )  # fmt: skip
        seen = (
            select(func.count()).select_from(Patient)
            .where(or_(checked_in, visited, contacted), *chosen).scalar_subquery()
        )  # fmt: skip
        rows = self.session.execute(
            select(Patient.discharge_reason, func.count(), referred_in, seen)
            .where(Patient.status == "discharged", self._in_span(Patient.discharged_at), *chosen)
            .group_by(Patient.discharge_reason)
            .union_all(select(literal(None), literal(0), referred_in, seen))
        ).all()  # fmt: skip
        # The added row (counting 0) always comes back, so the totals are there with no discharges.
        reasons = sorted(((code, n) for code, n, _, _ in rows if n),
                         key=lambda row: (-row[1], row[0] or "~"))  # fmt: skip
        return People(
            referred_in=rows[0][2],
            seen=rows[0][3],
            discharged=sum(n for _, n in reasons),
            discharge_reasons=tuple(reasons),
        )

    def _epoch_seconds(self, moment: Any) -> ColumnElement[int]:
        if self._dialect() == "postgresql":
            return cast(func.extract("epoch", moment), BigInteger)
        return cast(func.strftime("%s", moment), BigInteger)

    def changes(self) -> list[Change]:
        """First-versus-latest change of every tracked score over the span: one query.

        One pass over the span's check-ins, grouped by patient, finds each score's first and
        latest value without sorting: each check-in's value is packed with its moment into
        one integer, (seconds since 1970) * 10,000 + (value in hundredths), so the smallest
        such number per patient is the first value and the largest the latest, and the value
        is what is left after dividing by 10,000. Every score is 0 to 35 with at most two
        decimals, so its hundredths fit below 10,000; the change is worked out in whole
        hundredths, so no rounding creeps in. Check-ins in the same second: the larger value
        counts as later (a tie no phone makes on purpose).

        A check-in corrected by a later one is left out (the correction stands for it); a
        check-in without a score is not a point for it. Patients with one point are not counted.
        """
        corrected = select(CheckIn.amends_id).where(CheckIn.amends_id.is_not(None))
        scores: Any = CheckIn.scores
        if self._dialect() == "postgresql":
            # Read each row's JSON once, as binary JSONB, rather than once per score: the
            # OFFSET 0 keeps PostgreSQL from folding the cast into every score's expression.
            scores = cast(CheckIn.scores, JSONB)
        rows = (
            select(CheckIn.patient_id.label("patient_id"),
                   self._epoch_seconds(CheckIn.captured_at).label("seconds"),
                   scores.label("scores"))
            .where(self._in_span(CheckIn.captured_at), CheckIn.id.not_in(corrected),
                   *self._of_chosen(CheckIn.patient_id))
        )  # fmt: skip
        if self._dialect() == "postgresql":
            rows = rows.offset(0)
        found_rows = rows.subquery("points")
        columns: list[Any] = [found_rows.c.patient_id]
        for i, tracked in enumerate(TRACKED):
            path = (tracked.measure, tracked.field, "value") if tracked.measure == "ons4" else (
                tracked.measure, tracked.field)  # fmt: skip
            value = found_rows.c.scores[path].as_float()
            hundredths = cast(func.round(value * 100), BigInteger)
            key = case((value.is_not(None), found_rows.c.seconds * PACK + hundredths))
            columns += [func.count(key).label(f"n{i}"), func.min(key).label(f"f{i}"),
                        func.max(key).label(f"l{i}")]  # fmt: skip
        per_patient = (
            select(*columns)
            .group_by(found_rows.c.patient_id)
            .cte("per_patient")
            .prefix_with("MATERIALIZED")
        )  # fmt: skip
        parts = []
        for i in range(len(TRACKED)):
            first, latest = per_patient.c[f"f{i}"], per_patient.c[f"l{i}"]
            difference = ((latest % PACK) - (first % PACK)).label("difference")
            parts.append(
                select(literal(i).label("score"), difference, func.count().label("patients"))
                .where(per_patient.c[f"n{i}"] >= 2)
                .group_by(difference)
            )  # fmt: skip
        if self._dialect() == "postgresql":
            # One row per patient with 18 running figures: PostgreSQL's default 4 MB for a
            # hash table spills a whole area's to disk (4.2 s against 2.5 s with 32 MB, on
            # bench/outcomes_bench.py's data). For this transaction only.
            self.session.execute(text("SET LOCAL work_mem = '32MB'"))
        found: dict[int, list[tuple[float, int]]] = {i: [] for i in range(len(TRACKED))}
        for i, hundredths, n in self.session.execute(union_all(*parts)):
            found[int(i)].append((int(hundredths) / 100, int(n)))
        return [Change(tracked, tuple(sorted(found[i]))) for i, tracked in enumerate(TRACKED)]

    def referrals(self) -> list[AssetFunnel]:
        """Referrals made in the span, per asset and how far each got, and days to attend."""
        made_at = func.coalesce(AssetReferral.referred_at, AssetReferral.created_at)
        days = case(
            (
                AssetReferral.status == "attended",
                self._whole_days(made_at, AssetReferral.attended_at),
            )
        ).label("days")
        rows = self.session.execute(
            select(CommunityAsset.id, CommunityAsset.name, AssetReferral.status, days, func.count())
            .join(CommunityAsset, CommunityAsset.id == AssetReferral.asset_id)
            .where(self._in_span(AssetReferral.created_at),
                   *self._of_chosen(AssetReferral.patient_id))
            .group_by(CommunityAsset.id, CommunityAsset.name, AssetReferral.status, days)
        ).all()  # fmt: skip
        by_asset: dict[uuid.UUID, tuple[str, dict[str, int], dict[int, int]]] = {}
        for asset_id, name, status, day, n in rows:
            _, counts, waits = by_asset.setdefault(asset_id, (name, {}, {}))
            counts[status] = counts.get(status, 0) + n
            if day is not None and status == "attended":
                waits[max(0, int(day))] = waits.get(max(0, int(day)), 0) + n
        funnels = [AssetFunnel(asset_id, name, counts, tuple(sorted(waits.items())))
                   for asset_id, (name, counts, waits) in by_asset.items()]  # fmt: skip
        return sorted(funnels, key=lambda f: (-f.total, f.name.casefold()))

    def sample_days(self) -> list[date]:
        """The days each caseload is counted at the end of, and the last day.

        Each week's end for a span of up to 92 days; else the end of every month, or of every
        second, third... month, so that there are never more than `MOST_SAMPLES` points.
        """
        since, until = self.filters.since, self.filters.until
        found: list[date] = []
        if (until - since).days <= WEEKLY_UP_TO_DAYS:
            day = since + timedelta(days=6)
            while day < until:
                found.append(day)
                day += timedelta(days=7)
            return [*found, until]
        step = months_per_sample(self.filters)
        index = since.year * 12 + since.month - 1
        while True:
            index += step
            end = date(index // 12, index % 12 + 1, 1) - timedelta(days=1)
            if end >= until:
                break
            found.append(end)
        return [*found, until]

    def caseloads(self) -> Caseloads:
        """Each link worker's active caseload at the end of each sampled day: one query.

        A patient counts from when they were added until they were discharged. A patient
        reopened after a discharge counts from when they were added (the record keeps no
        earlier discharge); one discharged without a date (from before dates were kept) never.
        """
        days = self.sample_days()
        moments = [datetime.combine(d + timedelta(days=1), time(), self.zone).astimezone(UTC)
                   for d in days]  # fmt: skip
        samples = union_all(
            *(select(literal(i).label("i"), literal(m, UTCDateTime()).label("at"))
              for i, m in enumerate(moments))
        ).subquery()  # fmt: skip
        rows = self.session.execute(
            select(samples.c.i, Patient.link_worker_id, func.count())
            .join(Patient, and_(
                Patient.created_at < samples.c.at,
                or_(Patient.status == "active", Patient.discharged_at >= samples.c.at),
            ))
            .where(*self._chosen())
            .group_by(samples.c.i, Patient.link_worker_id)
        ).all()  # fmt: skip
        sizes: list[dict[uuid.UUID, int]] = [{} for _ in days]
        for i, worker_id, n in rows:
            sizes[int(i)][worker_id] = n
        # The link workers to show: the one chosen, or everyone with a caseload at any point
        # and every active link worker (an empty caseload is worth seeing too).
        had_some = {worker_id for found in sizes for worker_id in found}
        workers_query = select(User.id, User.display_name, User.active).where(
            User.role == "link_worker"
        )
        if self.filters.worker_id:
            workers_query = workers_query.where(User.id == self.filters.worker_id)
        workers = tuple(
            (worker_id, name)
            for worker_id, name, active in self.session.execute(
                workers_query.order_by(User.display_name, User.id)
            )
            if active or worker_id in had_some
        )
        return Caseloads(
            tuple(CaseloadPoint(d, s) for d, s in zip(days, sizes, strict=True)), workers
        )


# ---------------------------------------------------------------------------------------------
# The report as tables: the page shows them beside the charts, the CSV downloads them. Both
# come from here, so the numbers a chart's table shows are the numbers the spreadsheet holds.


@dataclass(frozen=True)
class Table:
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[str | int | float, ...], ...]


@dataclass(frozen=True)
class Figures:
    people: People
    changes: tuple[Change, ...]
    referrals: tuple[AssetFunnel, ...]
    caseloads: Caseloads

    @classmethod
    def of(cls, report: Report) -> Figures:
        return cls(report.people(), tuple(report.changes()), tuple(report.referrals()),
                   report.caseloads())  # fmt: skip

    def tables(self) -> dict[str, Table]:
        return {
            "people": self.people_table(),
            "discharges": self.discharges_table(),
            "measures": self.measures_table(),
            "referrals": self.referrals_table(),
            "caseloads": self.caseloads_table(),
            "caseloads-by-worker": self.caseloads_by_worker_table(),
        }

    def people_table(self) -> Table:
        p = self.people
        return Table("People", ("Patients who were", "How many"), (
            ("Referred in", p.referred_in), ("Seen by a link worker", p.seen),
            ("Discharged", p.discharged),
        ))  # fmt: skip

    def discharges_table(self) -> Table:
        return Table("Why patients were discharged", ("Reason", "Patients"),
                     tuple(self.people.reason_rows()))  # fmt: skip

    def measures_table(self) -> Table:
        rows = []
        for change in self.changes:
            better, better_share = change.share(True)
            worse, worse_share = change.share(False)
            rows.append((
                change.tracked.label, "higher" if change.tracked.higher_is_better else "lower",
                change.patients, _shown(change.mean), _shown(change.median),
                _shown(change.mid) if change.mid is not None else "none published",
                better, _shown(better_share), worse, _shown(worse_share),
            ))  # fmt: skip
        return Table("First to latest check-in", (
            "Score", "Better is", "Patients with two or more", "Mean change", "Median change",
            "Minimal important difference", "Improved", "Improved (%)", "Worsened",
            "Worsened (%)"), tuple(rows))  # fmt: skip

    def referrals_table(self) -> Table:
        rows = tuple(
            (f.name, f.total, f.at("suggested"), f.reached_referred, f.at("attended"),
             f.at("declined"), _shown(f.median_days))
            for f in self.referrals
        )  # fmt: skip
        return Table("Referrals to community assets", (
            "Community asset", "Suggested or referred", "Still only suggested", "Referred",
            "Attended", "Declined", "Median days from referral to attending"), rows)  # fmt: skip

    def caseloads_table(self) -> Table:
        c = self.caseloads
        highest, median = c.highest(), c.median()
        return Table("Caseload size over time", ("End of", "Highest", "Median"), tuple(
            (point.at.isoformat(), h, _shown(m))
            for point, h, m in zip(c.points, highest, median, strict=True)
        ))  # fmt: skip

    def caseloads_by_worker_table(self) -> Table:
        c = self.caseloads
        days = tuple(point.at.isoformat() for point in c.points)
        # The busiest first: the research warns link workers get overwhelmed.
        found = sorted(
            ((name, c.series(worker_id)) for worker_id, name in c.workers),
            key=lambda row: (-max(row[1], default=0), row[0].casefold()),
        )
        rows: tuple[tuple[str | int, ...], ...] = tuple((name, *sizes) for name, sizes in found)
        return Table("Each link worker's caseload", ("Link worker", *days), rows)


def _shown(value: float | None) -> str:
    """A number as the report writes it (7, 2.5, -1.25), or "none" where there is none."""
    if value is None:
        return "none"
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0")
