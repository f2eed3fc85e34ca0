"""Lists that show patients are staff reads too: one audit row per patient shown."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select

from pwa.extensions import db
from pwa.models import AuditEvent, Patient, User

from .conftest import make_asset, make_patient, sign_in


def shown(action: str) -> list[tuple[object, object]]:
    db.session.expire_all()
    return sorted(
        (row.patient_id, row.user_id)
        for row in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))
    )  # type: ignore[return-value]


def test_the_caseload_records_each_patient_it_listed_and_no_other(
    client: FlaskClient, worker: User, patient: Patient, others_patient: Patient
) -> None:
    second = make_patient(worker)
    discharged = make_patient(worker, status="discharged")
    sign_in(client, worker)
    assert client.get("/caseload").status_code == 200
    assert shown("caseload.list") == sorted([(patient.id, worker.id), (second.id, worker.id)])
    client.get("/caseload?status=discharged")
    assert (discharged.id, worker.id) in shown("caseload.list")
    assert others_patient.id not in [p for p, _ in shown("caseload.list")]


def test_an_admins_caseload_records_everyone_it_listed(
    client: FlaskClient, admin: User, patient: Patient, others_patient: Patient
) -> None:
    sign_in(client, admin)
    client.get("/caseload")
    assert shown("caseload.list") == sorted([(patient.id, admin.id), (others_patient.id, admin.id)])


def test_the_referral_forms_patient_picker_records_whom_it_offered(
    client: FlaskClient, worker: User, patient: Patient, others_patient: Patient
) -> None:
    asset = make_asset()
    sign_in(client, worker)
    page = client.get(f"/assets/{asset.id}/refer")
    assert patient.full_name in page.get_data(as_text=True)
    assert shown("referral.patient_list") == [(patient.id, worker.id)]
