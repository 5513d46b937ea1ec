"""Organisations: reference data seeding and lookups."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

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


def list_organisations(session: Session, *, kinds: tuple[OrganisationKind, ...] = ()) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.is_active.is_(True)).order_by(Organisation.kind, Organisation.name)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(session.scalars(stmt))
