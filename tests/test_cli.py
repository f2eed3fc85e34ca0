"""The set-up commands: create-user and seed-demo."""

from __future__ import annotations

from typing import Any

from pwa.extensions import db
from pwa.models import AuditEvent, CheckIn, CommunityAsset, Patient, User
from pwa.nhs_number import is_valid_nhs_number
from pwa.passwords import check_password

from .conftest import make_user


def test_create_user_with_a_password_option(runner: Any) -> None:
    result = runner.invoke(
        args=["create-user", "Sam", "--role", "admin", "--password", "long enough pass"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin sam" in result.output
    user = db.session.scalar(db.select(User).where(User.username == "sam"))
    assert user.role == "admin" and check_password(user.password_hash, "long enough pass")
    assert db.session.scalar(db.select(AuditEvent.action)) == "user.create"


def test_create_user_prompts_for_the_password_when_left_out(runner: Any) -> None:
    result = runner.invoke(
        args=["create-user", "kim", "--role", "link_worker", "--name", "Kim Lee"],
        input="prompted password\nprompted password\n",
    )
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    user = db.session.scalar(db.select(User).where(User.username == "kim"))
    assert user.display_name == "Kim Lee"
    assert check_password(user.password_hash, "prompted password")


def test_create_user_refuses_a_short_password_a_bad_role_and_a_duplicate(runner: Any) -> None:
    short = runner.invoke(args=["create-user", "kim", "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    role = runner.invoke(args=["create-user", "kim", "--role", "boss", "--password", "x" * 12])
    assert role.exit_code != 0 and "boss" in role.output
    make_user("admin", "kim")
    dup = runner.invoke(args=["create-user", "kim", "--role", "admin", "--password", "x" * 12])
    assert dup.exit_code != 0 and "already exists" in dup.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_seed_demo_builds_a_realistic_practice(runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "amara" in result.output and "demo-password" in result.output
    roles = sorted(db.session.scalars(db.select(User.role)))
    assert roles == ["admin", "link_worker", "link_worker", "patient"]
    patients = db.session.scalars(db.select(Patient)).all()
    assert len(patients) == 16
    assert sorted(p.discharge_reason or "" for p in patients if p.status == "discharged") == [
        "goals_met", "goals_met", "moved_away", "no_contact"]  # fmt: skip
    assert all(is_valid_nhs_number(p.nhs_number) for p in patients)
    assert {p.link_worker.username for p in patients} == {"amara", "ben"}
    assets = db.session.scalars(db.select(CommunityAsset)).all()
    assert len(assets) == 20 and len({a.category for a in assets}) >= 10
    check_ins = db.session.scalars(db.select(CheckIn)).all()
    assert all(len(p.check_ins) >= 3 for p in patients)
    span = max(c.captured_at for c in check_ins) - min(c.captured_at for c in check_ins)
    assert span.days > 60  # several months of history
    pat = db.session.scalar(db.select(Patient).join(Patient.user).where(User.username == "pat"))
    assert pat is not None
    # "Assets to check" has something to show a newcomer: one stale, one mostly declined.
    from flask import current_app

    from pwa.directory_review import to_review
    from pwa.models import utcnow

    review = {r.asset.name: r for r in to_review(db.session, utcnow(), current_app.config)}
    assert set(review) == {"Men's Shed Harehills", "Walking Football"}
    assert review["Walking Football"].mostly_declined


def test_seed_demo_twice_says_it_is_there_and_adds_nothing(runner: Any) -> None:
    runner.invoke(args=["seed-demo"])
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0
    assert "already in this database" in again.output
    assert db.session.scalar(db.select(db.func.count(Patient.id))) == 16


def test_seed_demo_refuses_a_database_with_real_records(runner: Any) -> None:
    make_user("admin", "realadmin")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "already holds real records" in result.output
    assert db.session.scalar(db.select(db.func.count(Patient.id))) == 0


def test_make_run_starts_on_a_database_with_real_records(runner: Any) -> None:
    """`make run` seeds with --if-empty: a second run after real use still starts the app."""
    make_user("admin", "realadmin")
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "Starting with the records already here" in result.output
    assert db.session.scalar(db.select(db.func.count(Patient.id))) == 0
