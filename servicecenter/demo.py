"""Deterministic demo data: one user per role, GP clinics and a contractor, and citizens in Region Midtjylland.

Never for production: the CLI refuses when SC_ENV=production. The same seed gives the same data every time.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen, ContactKind
from servicecenter.citizens.service import ContactData, add_contact, phone_key
from servicecenter.organisations import reference
from servicecenter.organisations.models import Organisation, OrganisationKind

FIRST_NAMES = [
    "Anne", "Kirsten", "Hanne", "Mette", "Inge", "Grethe", "Birthe", "Susanne", "Lene", "Karen", "Bente", "Jette",
    "Ida", "Marianne", "Lone", "Else", "Ruth", "Jens", "Peter", "Niels", "Lars", "Hans", "Søren", "Jørgen",
    "Henrik", "Poul", "Ole", "Erik", "Per", "Bent", "Svend", "Kurt", "Finn", "Aage", "Preben", "Flemming",
    "Ahmad", "Fatima", "Mehmet", "Agnieszka",
]
LAST_NAMES = [
    "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Rasmussen",
    "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Christiansen", "Poulsen", "Johansen",
    "Møller", "Mortensen", "Østergaard", "Bæk", "Kjær", "Lund", "Dahl", "Vestergaard", "Holm", "Bak", "Yilmaz",
    "Kowalski",
]
STREETS = [
    "Søndergade", "Vestergade", "Østergade", "Nørregade", "Kirkevej", "Skolevej", "Møllevej", "Stationsvej",
    "Engvej", "Birkevej", "Bøgevej", "Egevej", "Skovvej", "Åboulevarden", "Havnegade", "Jernbanegade",
    "Parkvej", "Rosenvænget", "Lærkevej", "Solsikkevej",
]
ACCESS_NOTES = [None, None, None, "Nøgleboks ved hoveddøren, kode 4711", "Ring på hos naboen i nr. 3",
                "Dørkode 1948, 2. sal th.", "Hund i huset, ring først"]

DEMO_USERS = [
    ("admin", "Anders Admin", Role.ADMIN, "contractor"),
    ("koordinator", "Karin Koordinator", Role.COORDINATOR, "contractor"),
    ("helpdesk", "Helle Helpdesk", Role.HELPDESK, "contractor"),
    ("tekniker", "Torben Tekniker", Role.TECHNICIAN, "contractor"),
    ("lager", "Lise Lager", Role.WAREHOUSE, "contractor"),
    ("sygeplejerske", "Sanne Sygeplejerske", Role.NURSE, "751"),  # a home-care nurse in Aarhus Kommune
    ("praksis", "Pia Praksissygeplejerske", Role.NURSE, "GP-8000-1"),  # a nurse at a GP clinic in Aarhus
]


def demo_password(index: int) -> str:
    """Published demo passwords: fine for a demo database, which is why production refuses demo data."""
    return f"Servicecenter-demo-{index + 1}"


def demo_logins() -> list[tuple[str, str, Role]]:
    return [(username, demo_password(i), role) for i, (username, _n, role, _o) in enumerate(DEMO_USERS)]


def present_demo_logins(session: Session, more: list[tuple[str, str, Role]] = ()) -> list[tuple[str, str, Role]]:
    """The core's demo logins and `more` (the features' own demo users), those that exist in this database."""
    logins = [*demo_logins(), *more]
    present = set(session.scalars(select(User.username).where(User.username.in_([u for u, _p, _r in logins]))))
    return [login for login in logins if login[0] in present]


def _extra_organisations(session: Session) -> dict[str, Organisation]:
    wanted = [
        (OrganisationKind.CONTRACTOR, "contractor", "Fælles Servicecenter (drift)"),
        (OrganisationKind.GP_CLINIC, "GP-8000-1", "Lægerne Søndergade, Aarhus"),
        (OrganisationKind.GP_CLINIC, "GP-8900-1", "Lægehuset Randers Midtby"),
        (OrganisationKind.GP_CLINIC, "GP-7400-1", "Herning Lægecenter"),
    ]
    found = {}
    for kind, code, name in wanted:
        org = session.scalar(select(Organisation).where(Organisation.kind == kind, Organisation.code == code))
        if org is None:
            org = Organisation(kind=kind, code=code, name=name)
            session.add(org)
        found[code] = org
    session.flush()
    return found


def _create_users(session: Session, orgs: dict[str, Organisation], now: dt.datetime) -> int:
    made = 0
    for index, (username, name, role, org_code) in enumerate(DEMO_USERS):
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        org = orgs.get(org_code) or session.scalar(
            select(Organisation).where(Organisation.kind == OrganisationKind.MUNICIPALITY,
                                       Organisation.code == org_code))
        auth_service.create_user(session, actor=None, now=now, username=username, full_name=name, role=role,
                                 organisation_id=org.id, password=demo_password(index))
        made += 1
    return made


def _cpr(rng: random.Random, used: set[str]) -> str:
    while True:
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
        # Seventh digit 0-3: born in the 1900s, whatever the year.
        number = born.strftime("%d%m%y") + str(rng.randrange(4)) + f"{rng.randrange(1000):03d}"
        if number not in used:
            used.add(number)
            return number


def citizen_rows(count: int, *, seed: int, municipalities: list[Organisation], gp_by_postal: dict[str, int],
                 now: dt.datetime, start: int = 0) -> list[dict]:
    """Plain rows for a bulk insert: deterministic for (seed, start). A citizen's GP is a clinic in her own town
    (the demo's clinics carry the postal code in their code), or none."""
    rng = random.Random(seed * 1_000_003 + start)
    towns = {code: (postal, town) for code, _n, _c, _la, _lo, postal, town in reference.MUNICIPALITIES}
    used: set[str] = set()
    rows = []
    for _ in range(count):
        municipality = rng.choice(municipalities)
        postal, town = towns[municipality.code]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        address = f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
        phone = f"{rng.randint(20, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        rows.append({
            "cpr": _cpr(rng, used), "first_name": first, "last_name": last, "address": address,
            "postal_code": postal, "city": town, "municipality_id": municipality.id,
            "latitude": round(municipality.latitude + rng.uniform(-0.08, 0.08), 5),
            "longitude": round(municipality.longitude + rng.uniform(-0.12, 0.12), 5),
            "phone": phone, "mobile": None, "language": "da", "special_needs": None,
            "access_notes": rng.choice(ACCESS_NOTES),
            "responsible_organisation_id": gp_by_postal.get(postal),
            "created_by_id": None, "created_at": now, "updated_at": now, "version": 1,
            "first_name_key": first.lower(), "last_name_key": last.lower(), "address_key": address.lower(),
            "phone_key": phone_key(phone), "mobile_key": None,
        })
    return rows


def add_citizens(session: Session, count: int, *, seed: int, now: dt.datetime, batch: int = 5000) -> int:
    """Bulk-insert `count` more citizens (fast enough for 100,000); CPR numbers already present are skipped."""
    municipalities = list(session.scalars(
        select(Organisation).where(Organisation.kind == OrganisationKind.MUNICIPALITY).order_by(Organisation.code)))
    gp_by_postal = {code.split("-")[1]: org_id for org_id, code in session.execute(
        select(Organisation.id, Organisation.code).where(Organisation.kind == OrganisationKind.GP_CLINIC,
                                                         Organisation.code.like("GP-%-%"))
        .order_by(Organisation.id.desc()))}  # the first clinic of a town when it has several
    existing = set(session.scalars(select(Citizen.cpr)))
    start = session.scalar(select(func.count(Citizen.id))) or 0
    added = attempt = 0
    while added < count:
        rows = citizen_rows(min(batch, count - added), seed=seed, municipalities=municipalities,
                            gp_by_postal=gp_by_postal, now=now, start=start + attempt * batch)
        attempt += 1
        rows = [r for r in rows if r["cpr"] not in existing]
        existing.update(r["cpr"] for r in rows)
        if rows:
            session.execute(insert(Citizen), rows)
        added += len(rows)
    return added


def load_demo_data(session: Session, *, citizens: int, seed: int = 2026, now: dt.datetime) -> dict[str, int]:
    orgs = _extra_organisations(session)
    users = _create_users(session, orgs, now)
    made = add_citizens(session, citizens, seed=seed, now=now)
    first = session.scalar(select(Citizen).order_by(Citizen.id).limit(1))
    if first is not None and not first.contacts:
        add_contact(session, first, ContactData(ContactKind.RELATIVE, "Bo " + first.last_name, relation="søn",
                                                phone="40 11 22 33", may_contact=True), actor=None, now=now)
    return {"users": users, "citizens": made}
