"""Organisations: reference data seeding and lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from servicecenter.audit.service import record_event
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, DomainError
from servicecenter.organisations import reference
from servicecenter.organisations.models import Cluster, Organisation, OrganisationKind


def seed_reference_data(session: Session) -> int:
    """Insert the region, clusters, hospitals and municipalities that are missing; returns how many were added."""
    added = 0
    clusters = {c.code: c for c in session.scalars(select(Cluster))}
    existing = {(o.kind, o.code) for o in session.scalars(select(Organisation))}

    def add_org(kind: OrganisationKind, code: str, name: str, **kw) -> None:
        nonlocal added
        if (kind, code) not in existing:
            session.add(Organisation(kind=kind, code=code, name=name, **kw))
            added += 1

    add_org(OrganisationKind.REGION, reference.REGION[0], reference.REGION[1])
    for code, name, hospital in reference.CLUSTERS:
        if code not in clusters:
            clusters[code] = Cluster(code=code, name=name)
            session.add(clusters[code])
            added += 1
        session.flush()
        add_org(OrganisationKind.HOSPITAL, f"H-{code}", hospital, cluster_id=clusters[code].id)
    for code, name, cluster, lat, lon, _postal, _town in reference.MUNICIPALITIES:
        add_org(OrganisationKind.MUNICIPALITY, code, name, cluster_id=clusters[cluster].id, latitude=lat,
                longitude=lon)
    session.flush()
    return added


def list_organisations(
    session: Session, *, kinds: tuple[OrganisationKind, ...] = (), include_inactive: bool = False
) -> list[Organisation]:
    stmt = select(Organisation).options(selectinload(Organisation.cluster)).order_by(Organisation.kind,
                                                                                     Organisation.name)
    if not include_inactive:
        stmt = stmt.where(Organisation.is_active.is_(True))
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(session.scalars(stmt))


def list_clusters(session: Session) -> list[Cluster]:
    return list(session.scalars(select(Cluster).order_by(Cluster.name)))


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    return get_or_raise(session, Organisation, organisation_id, N_("No such organisation."))


@dataclass
class OrganisationData:
    kind: OrganisationKind
    name: str
    code: str | None = None
    cluster_id: int | None = None
    is_active: bool = True


def _check(session: Session, data: OrganisationData, *, except_id: int | None = None) -> None:
    if data.code:
        clash = session.scalar(select(Organisation.id).where(Organisation.kind == data.kind,
                                                             Organisation.code == data.code))
        if clash is not None and clash != except_id:
            raise DomainError(N_("Another organisation of this kind has this code."), field="code")
    if data.cluster_id is not None and session.get(Cluster, data.cluster_id) is None:
        raise DomainError(N_("Choose a cluster."), field="cluster_id")


def _apply(organisation: Organisation, data: OrganisationData) -> None:
    organisation.kind, organisation.name = data.kind, data.name.strip()
    organisation.code = (data.code or "").strip() or None
    organisation.cluster_id, organisation.is_active = data.cluster_id, data.is_active


def create_organisation(session: Session, data: OrganisationData, *, actor, now: dt.datetime) -> Organisation:
    _check(session, data)
    organisation = Organisation()
    _apply(organisation, data)
    session.add(organisation)
    session.flush()
    record_event(session, actor=actor, action="organisation.create", entity_type="organisation",
                 entity_id=organisation.id, now=now, detail={"kind": data.kind.value})
    return organisation


def update_organisation(session: Session, organisation: Organisation, data: OrganisationData, *, actor,
                        now: dt.datetime) -> Organisation:
    _check(session, data, except_id=organisation.id)
    _apply(organisation, data)
    record_event(session, actor=actor, action="organisation.update", entity_type="organisation",
                 entity_id=organisation.id, now=now)
    return organisation
