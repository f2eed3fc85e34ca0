"""The data model's rules: versions, change sequence, server clocks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pwa.extensions import db
from pwa.models import CheckIn, Patient, User, change_counter

from .conftest import make_asset, make_check_in, make_patient


def test_a_new_record_starts_at_version_one_with_a_sequence_number(worker: User) -> None:
    patient = make_patient(worker)
    assert patient.version == 1
    assert patient.seq == db.session.scalar(db.select(change_counter.c.value))


def test_each_change_bumps_the_version_and_takes_a_later_sequence_number(worker: User) -> None:
    patient = make_patient(worker)
    first_seq = patient.seq
    asset = make_asset()
    patient.phone = "0113 496 0001"
    db.session.commit()
    assert patient.version == 2
    assert patient.seq > asset.seq > first_seq


def test_saving_without_a_change_leaves_version_and_sequence_alone(worker: User) -> None:
    patient = make_patient(worker)
    version, seq = patient.version, patient.seq
    patient.phone = patient.phone
    db.session.commit()
    assert (patient.version, patient.seq) == (version, seq)


def test_a_stale_update_is_refused_not_overwritten(app: Flask, worker: User) -> None:
    patient_id = make_patient(worker).id
    db.session.commit()  # SQLite: this session's read would hold the lock the phones need
    with Session(db.engine, expire_on_commit=False) as phone_a:
        seen = phone_a.get(Patient, patient_id)
        phone_a.commit()  # ends the transaction, keeps what it saw (version 1)
        with Session(db.engine) as phone_b:
            phone_b.get(Patient, patient_id).phone = "0113 496 0001"
            phone_b.commit()
        seen.phone = "0113 496 0002"
        with pytest.raises(StaleDataError):
            phone_a.commit()
    stored = db.session.get(Patient, patient_id)
    assert (stored.phone, stored.version) == ("0113 496 0001", 2)


def test_times_come_back_as_aware_utc(worker: User, patient: Patient) -> None:
    check_in = make_check_in(patient, worker, captured_at=datetime(2026, 6, 1, 9, 30, tzinfo=UTC))
    db.session.expire_all()
    stored = db.session.get(CheckIn, check_in.id)
    assert stored.captured_at == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert stored.created_at.tzinfo is UTC


def test_concurrent_writers_get_distinct_sequence_numbers(app: Flask, worker: User) -> None:
    worker_id = worker.id
    errors: list[BaseException] = []

    def add_patients() -> None:
        try:
            with app.app_context():
                for _ in range(5):
                    db.session.add(
                        Patient(
                            given_name="C",
                            family_name="Writer",
                            link_worker_id=worker_id,
                            referral_reason="test",
                        )
                    )
                    db.session.commit()
        except BaseException as error:
            errors.append(error)

    db.session.commit()
    threads = [threading.Thread(target=add_patients) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    seqs = list(db.session.scalars(db.select(Patient.seq)))
    assert len(seqs) == 20 and len(set(seqs)) == 20
    assert max(seqs) == db.session.scalar(db.select(change_counter.c.value))


def test_a_database_error_never_carries_the_values_being_written(worker: User) -> None:
    make_patient(worker, nhs_number="9434765919")
    db.session.add(
        User(username=worker.username, display_name="Secret Name", role="admin", password_hash="x")
    )
    with pytest.raises(IntegrityError) as raised:
        db.session.commit()
    db.session.rollback()
    assert "Secret Name" not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)
