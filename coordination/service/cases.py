"""The dashboard's filter (programme, municipality, hospital cluster) and the cases behind a figure, listed to those
allowed to see them: the same select as the figure's cells, cut by the citizens service's need-to-know rule. The
count of all cases is shown; the names only of the citizens the user may see (each a logged read)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coordination.service.figures import Filter
from coordination.service.indicators import Month
from coordination.service.indicators import cases as case_select
from inventory.models import Device
from servicecenter.citizens.access import sees
from servicecenter.citizens.models import Citizen
from servicecenter.citizens.service import record_listed
from servicecenter.courses.models import Programme
from servicecenter.organisations.models import Cluster, Organisation, OrganisationKind

CASE_KIND = {"referred": "course", "activated": "course", "ended": "course", "active": "course",
             "first_setup": "visit", "tickets": "ticket", "resolved": "ticket", "sla": "ticket",
             "overdue_pickups": "device"}


@dataclass(frozen=True)
class Choices:
    programmes: list[tuple[int, str]]
    municipalities: list[tuple[int, str, int | None]]  # id, name, cluster id
    clusters: list[tuple[int, str]]


def filter_choices(session: Session) -> Choices:
    return Choices(
        [tuple(r) for r in session.execute(select(Programme.id, Programme.name).order_by(Programme.name))],
        [tuple(r) for r in session.execute(
            select(Organisation.id, Organisation.name, Organisation.cluster_id)
            .where(Organisation.kind == OrganisationKind.MUNICIPALITY).order_by(Organisation.name))],
        [tuple(r) for r in session.execute(select(Cluster.id, Cluster.name).order_by(Cluster.name))])


def make_filter(choices: Choices, *, programme: int | None, municipality: int | None,
                cluster: int | None) -> Filter:
    """A municipality wins over a cluster; a cluster is its municipalities; an unknown id filters to nothing."""
    programme_ids = None if programme is None else (programme,)
    if municipality is not None:
        municipality_ids = (municipality,)
    elif cluster is not None:
        municipality_ids = tuple(m for m, _name, c in choices.municipalities if c == cluster)
    else:
        municipality_ids = None
    return Filter(programme_ids, municipality_ids)


@dataclass(frozen=True)
class CaseRow:
    kind: str
    case_id: int
    citizen_id: int | None
    citizen_name: str | None
    programme: str | None
    municipality: str | None
    key: str
    value: float | None
    device_tag: str | None = None


@dataclass(frozen=True)
class Listing:
    total: int  # every case behind the figure
    visible: int  # of them, the cases whose citizen this user may see
    rows: list[CaseRow]
    has_next: bool


def list_cases(session: Session, indicator: str, m: Month, flt: Filter, *, key: str | None, actor,
               now: dt.datetime, page: int, per_page: int) -> Listing:
    rows = case_select(session, indicator, m, programme_ids=flt.programme_ids,
                       municipality_ids=flt.municipality_ids, key=key).subquery()
    total = session.scalar(select(func.count()).select_from(rows))
    allowed = sees(session, actor, now, rows.c.citizen_id)
    visible = session.scalar(select(func.count()).select_from(rows).where(allowed))
    found = session.execute(select(rows).where(allowed).order_by(rows.c.case_id)
                            .offset((page - 1) * per_page).limit(per_page + 1)).all()
    citizen_ids = sorted({r.citizen_id for r in found[:per_page] if r.citizen_id is not None})
    names = {cid: f"{first} {last}" for cid, first, last in session.execute(
        select(Citizen.id, Citizen.first_name, Citizen.last_name).where(Citizen.id.in_(citizen_ids)))}
    record_listed(session, citizen_ids, actor=actor, now=now, action="indicator.case_list")
    programmes = dict(session.execute(select(Programme.id, Programme.name)).all())
    municipalities = dict(session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_({r.municipality_id for r in found if r.municipality_id}))).all())
    tags = {}
    if CASE_KIND[indicator] == "device":
        tags = dict(session.execute(select(Device.id, Device.tag).where(
            Device.id.in_([r.case_id for r in found]))).all())
    return Listing(total, visible, [
        CaseRow(CASE_KIND[indicator], r.case_id, r.citizen_id, names.get(r.citizen_id),
                programmes.get(r.programme_id), municipalities.get(r.municipality_id), r.key or "",
                None if r.value is None else float(r.value), tags.get(r.case_id))
        for r in found[:per_page]], len(found) > per_page)
