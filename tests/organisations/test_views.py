"""Organisations: reference data, and the admin pages to add GP clinics and keep the list current."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.organisations.models import Cluster, Organisation, OrganisationKind


def test_reference_data_has_the_19_municipalities_in_5_clusters(session):
    municipalities = session.scalars(select(Organisation).where(
        Organisation.kind == OrganisationKind.MUNICIPALITY)).all()
    assert len(municipalities) == 19
    assert session.scalar(select(func.count()).select_from(Cluster)) == 5
    assert all(m.cluster is not None and m.latitude for m in municipalities)
    by_cluster = {}
    for m in municipalities:
        by_cluster.setdefault(m.cluster.code, set()).add(m.code)
    assert by_cluster["AARHUS"] == {"751", "741"}
    hospitals = session.scalars(select(Organisation).where(Organisation.kind == OrganisationKind.HOSPITAL)).all()
    assert {h.cluster.code for h in hospitals} == set(by_cluster)


def test_an_admin_adds_a_gp_clinic_and_can_then_place_a_nurse_there(client, factory, session):
    client.login(factory.user(Role.ADMIN).username)
    cluster = session.scalar(select(Cluster).where(Cluster.code == "VEST"))
    response = client.post("/admin/organisations/new", data={
        "kind": "gp_clinic", "name": "Lægerne i Lemvig", "code": "GP-7620", "cluster_id": cluster.id,
        "is_active": "y"})
    assert response.status_code == 302
    session.rollback()
    clinic = session.scalar(select(Organisation).where(Organisation.code == "GP-7620"))
    assert clinic.kind == OrganisationKind.GP_CLINIC and clinic.cluster_id == cluster.id
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "organisation.create", AuditEvent.entity_id == clinic.id)) == 1
    assert "Lægerne i Lemvig" in client.get("/admin/users/new").get_data(as_text=True)


def test_a_duplicate_code_is_refused_at_the_field(client, factory):
    client.login(factory.user(Role.ADMIN).username)
    response = client.post("/admin/organisations/new", data={
        "kind": "municipality", "name": "Aarhus igen", "code": "751", "cluster_id": 0})
    assert response.status_code == 400 and b'id="code-err"' in response.data


def test_an_organisation_is_edited_and_deactivated(client, factory, session):
    client.login(factory.user(Role.ADMIN).username)
    clinic = factory.organisation(OrganisationKind.GP_CLINIC, "GP-X")
    response = client.post(f"/admin/organisations/{clinic.id}", data={
        "kind": "gp_clinic", "name": "Ny navn", "code": "GP-X", "cluster_id": 0})
    assert response.status_code == 302
    session.rollback()
    assert session.get(Organisation, clinic.id).name == "Ny navn"
    assert session.get(Organisation, clinic.id).is_active is False
    assert "Ny navn" not in client.get("/admin/users/new").get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.HELPDESK, Role.COORDINATOR, Role.NURSE])
def test_only_admins_manage_organisations(client, factory, role):
    client.login(factory.user(role).username)
    assert client.get("/admin/organisations/").status_code == 403
    assert client.post("/admin/organisations/new", data={"kind": "gp_clinic", "name": "X"}).status_code == 403
