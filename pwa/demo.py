"""Build a realistic demo practice for newcomers and demonstrations."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from .extensions import db
from .measures import ONS4, SWEMWBS, UCLA3, score_all
from .models import (
    AssetReferral,
    CheckIn,
    CommunityAsset,
    Contact,
    FollowUp,
    Patient,
    User,
    utcnow,
)
from .nhs_number import is_valid_nhs_number
from .passwords import hash_password

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed for newcomers on purpose
DEMO_USERS = (
    ("amara", "Amara Okafor", "link_worker"),
    ("ben", "Ben Hughes", "link_worker"),
    ("admin", "Priya Shah", "admin"),
    ("pat", "Patricia Walsh", "patient"),
)

PATIENTS = (
    (
        "Patricia",
        "Walsh",
        ["loneliness", "digital"],
        "Lives alone since her husband died; GP noticed frequent appointments for low mood.",
    ),
    ("Dev", "Patel", ["debt", "mental_wellbeing"], "Council tax arrears and bailiff letters."),
    ("Margaret", "O'Brien", ["loneliness", "physical_activity"], "Stopped going out after a fall."),
    ("Tomasz", "Nowak", ["employment", "benefits"], "Lost his job; unsure what he can claim."),
    ("Grace", "Mensah", ["carer", "mental_wellbeing"], "Caring full time for her mother."),
    ("Liam", "Doyle", ["housing", "debt"], "Damp flat, landlord not responding."),
    ("Aisha", "Rahman", ["loneliness", "food"], "New to the area, few local contacts."),
    ("George", "Taylor", ["physical_activity", "loneliness"], "Diabetes; wants to get active."),
    ("Sofia", "Costa", ["mental_wellbeing", "employment"], "Anxiety since leaving work."),
    ("Winston", "Clarke", ["digital", "benefits"], "Can't manage Universal Credit online."),
    ("Hannah", "Price", ["carer", "loneliness"], "Young carer for her brother, isolated."),
    ("Robert", "Evans", ["food", "debt", "housing"], "Using food banks; facing eviction."),
)

# Patients whose time with the service has ended, so the outcomes report has discharges to show:
# (given name, family name, needs, why referred, why discharged).
PAST_PATIENTS = (
    ("Eileen", "Murphy", ["loneliness"], "Bereaved, not leaving the house.", "goals_met"),
    ("Kwame", "Asante", ["debt", "benefits"], "Benefit sanction, rent arrears.", "goals_met"),
    ("Joan", "Fletcher", ["housing"], "Needed adaptations at home.", "moved_away"),
    ("Daniel", "Byrne", ["mental_wellbeing"], "Low mood after redundancy.", "no_contact"),
)

ASSETS = (
    ("Chapeltown Lunch Club", "social_groups", "Weekly hot lunch and company for over-60s."),
    ("Knit and Natter", "social_groups", "Friendly craft group in the library, all welcome."),
    ("Men's Shed Harehills", "social_groups", "Woodwork, tea and conversation for men."),
    ("Citizens Advice Leeds", "money_advice", "Free advice on debt, benefits and housing."),
    ("StepChange Debt Charity", "money_advice", "Free debt advice by phone and online."),
    ("Money Buddies", "money_advice", "One-to-one help with budgeting and bills."),
    ("Shelter Hub", "housing", "Advice on repairs, eviction and homelessness."),
    ("Care and Repair", "housing", "Small repairs and adaptations for older people."),
    ("Volunteer Centre", "employment", "Find local volunteering to build skills and confidence."),
    ("Jobs and Skills Service", "employment", "CV help, interview practice and training."),
    ("Mindful Walking Group", "mental_wellbeing", "Gentle guided walks with mindfulness."),
    ("Talking Therapies self-referral", "mental_wellbeing", "NHS talking therapies."),
    ("Walking Football", "physical_activity", "Slower-paced football for over-50s."),
    ("Chair Yoga at the Community Centre", "physical_activity", "Seated yoga, all abilities."),
    ("Carers Leeds", "carers", "Support, breaks and advice for unpaid carers."),
    ("Community Food Pantry", "food", "Low-cost weekly shop for members."),
    ("Digital Buddies", "digital", "Help getting online with a phone or tablet."),
    ("Library Reading Circle", "arts_culture", "Monthly book group with tea and cake."),
    ("Community Choir", "arts_culture", "No auditions, just singing together."),
    ("Roundhay Community Garden", "nature", "Grow food and flowers with neighbours."),
)


# In the demo, one asset nobody has checked for months, and one that past patients mostly
# declined: both are listed under "Assets to check".
STALE_ASSET = "Men's Shed Harehills"
DECLINED_ASSET = "Walking Football"


class DemoRefused(Exception):
    """The database holds records that are not demo data: seeding would mix the two."""


def _nhs_number(rng: random.Random) -> str:
    # 999 numbers are reserved by NHS England for testing: never a real person's.
    while True:
        candidate = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        for check in "0123456789":
            if is_valid_nhs_number(candidate + check):
                return candidate + check


def _answers(rng: random.Random, measure: str, wellbeing: float) -> dict[str, int]:
    """Make plausible answers for a wellbeing level between 0 (poor) and 1 (good)."""
    spec = {"ons4": ONS4, "swemwbs": SWEMWBS, "ucla3": UCLA3}[measure]
    answers = {}
    for key in spec.item_keys:
        good = wellbeing + rng.uniform(-0.15, 0.15)
        if key == "anxiety" or measure == "ucla3":
            good = 1 - good  # lower is better on these
        value = round(spec.low + max(0.0, min(1.0, good)) * (spec.high - spec.low))
        answers[key] = value
    return answers


# What a worker logs between visits (a contact: pwa/models/records.py CONTACT_KINDS).
BETWEEN_VISITS = (
    ("no_answer", "Rang, no answer. Will try again Thursday."),
    ("phone", "Spoke on the phone: the food bank voucher came through."),
    ("message", "Texted the lunch club times."),
    ("group_session", "Saw her at the lunch club, chatting with the others."),
    ("visit", "Popped round with the leaflet for the walking group."),
)


def _between_visits(patient: Patient, worker: User, visited: datetime) -> None:
    # Its own generator: adding contacts leaves the rest of the practice as it was.
    rng = random.Random(f"{patient.nhs_number}-{visited.isoformat()}")  # noqa: S311
    for _ in range(rng.randrange(0, 3)):
        kind, note = rng.choice(BETWEEN_VISITS)
        later = timedelta(days=rng.randrange(5, 24), hours=rng.randrange(-2, 4))
        db.session.add(
            Contact(
                patient=patient, author=worker, kind=kind, note=note, happened_at=visited + later
            )
        )


def seed_demo(today: date | None = None) -> bool:
    """Create the demo practice; return False if it is already there, refuse on other data."""
    usernames = set(db.session.scalars(db.select(User.username)))
    demo_names = {u for u, _, _ in DEMO_USERS}
    if usernames and usernames <= demo_names:
        return False
    if usernames or db.session.scalar(db.select(db.func.count(Patient.id))):
        raise DemoRefused(
            "This database already holds real records; the demo practice is only for an empty one."
        )
    rng = random.Random(2026)  # noqa: S311 - the same made-up practice every time
    now = utcnow()
    today = today or now.date()
    password = hash_password(DEMO_PASSWORD)
    users = {
        u: User(username=u, display_name=n, role=r, password_hash=password)
        for u, n, r in DEMO_USERS
    }
    db.session.add_all(users.values())

    assets = [
        CommunityAsset(
            name=name,
            category=category,
            description=description,
            contact=f"0113 496 0{i:03d}",
            address=f"{10 + i} Community Street, Leeds",
            postcode=f"LS{7 + i % 3} {i % 9 + 1}AB",
            opening_times=rng.choice(
                ["Mondays 10am-12pm", "Weekdays 9am-5pm", "Thursdays 1pm-3pm", "Saturdays 10am-1pm"]
            ),
            url=f"https://example.org/{category}/{i}",
            # Most checked in the last few months; one long ago, so "Assets to check" shows it.
            created_at=now - timedelta(days=400),
            checked_at=now - timedelta(days=250 if name == STALE_ASSET else rng.randrange(5, 150)),
        )
        for i, (name, category, description) in enumerate(ASSETS)
    ]
    db.session.add_all(assets)

    workers = [users["amara"], users["ben"]]
    people = [(*row, None) for row in PATIENTS] + list(PAST_PATIENTS)
    for i, (given, family, needs, reason, discharged_because) in enumerate(people):
        worker = workers[i % 2]
        visits = rng.randrange(3, 7)
        # Midnight (UTC), so the visits land in working hours rather than the small ones. Past
        # patients' visits ended some months ago, when they were discharged.
        ended = timedelta(days=rng.randrange(30, 200)) if discharged_because else timedelta()
        start = (now - ended - timedelta(days=28 * visits + rng.randrange(10))).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        patient = Patient(
            given_name=given,
            family_name=family,
            link_worker=worker,
            date_of_birth=date(
                1940 + rng.randrange(60), rng.randrange(1, 13), rng.randrange(1, 29)
            ),
            nhs_number=_nhs_number(rng),
            phone=f"07700 900{rng.randrange(1000):03d}",
            postcode=f"LS{rng.randrange(6, 10)} {rng.randrange(1, 9)}{rng.choice('ABDEFG')}"
            f"{rng.choice('HJLNPQ')}",
            needs=needs,
            referral_reason=reason,
            consent_to_contact=True,
            user=users["pat"] if given == "Patricia" else None,
            # Referred in a few days before the first visit.
            created_at=start - timedelta(days=rng.randrange(2, 9)),
        )
        if discharged_because:
            patient.status = "discharged"
            patient.discharged_at = start + timedelta(days=28 * visits)
            patient.discharge_reason = discharged_because
        db.session.add(patient)
        wellbeing = rng.uniform(0.15, 0.4)
        for v in range(visits):
            measures = {
                m: _answers(rng, m, wellbeing)
                for m in ("ons4", "swemwbs", "ucla3")
                if m != "ucla3" or "loneliness" in needs or v % 2 == 0
            }
            at = start + timedelta(days=28 * v, hours=rng.randrange(9, 16))
            db.session.add(
                CheckIn(
                    patient=patient,
                    author=worker,
                    source="link_worker",
                    captured_at=at,
                    received_at=at,
                    measures=measures,
                    scores=score_all(measures),
                    needs=needs,
                    notes=rng.choice(
                        [
                            "Talked through options.",
                            "Feeling a bit brighter.",
                            "Hard week, but went to the group.",
                            "",
                        ]
                    ),
                )
            )
            wellbeing = min(0.9, wellbeing + rng.uniform(-0.03, 0.12))
            if v < visits - 1:  # between visits, a quick contact or two, as a worker keeps in touch
                _between_visits(patient, worker, at)
        if discharged_because:
            # Nothing coming up for someone who has left; each had turned down one group.
            declined = next(a for a in assets if a.name == DECLINED_ASSET)
            db.session.add(
                AssetReferral(patient=patient, asset=declined, note="", status="declined",
                              created_by=worker, created_at=start + timedelta(days=3))
            )  # fmt: skip
            continue
        due = datetime.combine(
            today + timedelta(days=rng.randrange(-2, 15)), datetime.min.time(), now.tzinfo
        ) + timedelta(hours=10)
        db.session.add(
            FollowUp(
                patient=patient,
                assigned_to=worker,
                due_at=due,
                kind=rng.choice(["visit", "call"]),
                note="Check how things went",
            )
        )
        matching = [a for a in assets if a.category in {*needs, *(f"{n}s" for n in needs)}]
        for asset in rng.sample(matching or assets, k=min(2, len(matching or assets))):
            status = rng.choice(["referred", "attended", "suggested", "attended", "declined"])
            made = start + timedelta(days=rng.randrange(1, 20), hours=11)
            db.session.add(
                AssetReferral(
                    patient=patient,
                    asset=asset,
                    note="",
                    status=status,
                    created_by=worker,
                    created_at=made,
                    referred_at=made if status in ("referred", "attended") else None,
                    attended_at=(
                        made + timedelta(days=rng.randrange(3, 30))
                        if status == "attended"
                        else None
                    ),
                )
            )
    db.session.commit()
    return True
