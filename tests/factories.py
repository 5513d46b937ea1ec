"""Test data builders that go through the real services, committed as a user's action would be."""

from __future__ import annotations

import itertools

from sqlalchemy import select

from servicecenter.auth import service as auth_service
from servicecenter.auth.models import Role, User
from servicecenter.citizens import service as citizen_service
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import Organisation, OrganisationKind

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


class Factory:
    def __init__(self, session):
        self.session = session

    def organisation(self, kind: OrganisationKind = OrganisationKind.MUNICIPALITY, code: str = "751") -> Organisation:
        org = self.session.scalar(select(Organisation).where(Organisation.kind == kind, Organisation.code == code))
        if org is None:
            with unit_of_work(self.session):
                org = Organisation(kind=kind, code=code, name=f"{kind.value} {code}")
                self.session.add(org)
        return org

    def contractor(self) -> Organisation:
        return self.organisation(OrganisationKind.CONTRACTOR, "contractor")

    def user(self, role: Role = Role.HELPDESK, *, organisation: Organisation | None = None,
             username: str | None = None) -> User:
        org = organisation or (self.organisation() if role == Role.NURSE else self.contractor())
        with unit_of_work(self.session):
            user = auth_service.create_user(
                self.session, actor=None, now=utcnow(), username=username or f"{role.value}{next(_counter)}",
                full_name=f"Test {role.value.title()}", role=role, organisation_id=org.id, password=PASSWORD,
            )
        return user

    def citizen_data(self, **overrides) -> citizen_service.CitizenData:
        n = next(_counter)
        municipality = self.organisation(OrganisationKind.MUNICIPALITY, overrides.pop("municipality_code", "751"))
        values = dict(
            # Sequence 0000-3999: a seventh digit 0-3 is the 1900s for any year (from 4000 on, 0101YY-5xxx was born
            # in 20YY, in the future, once enough tests had made citizens).
            cpr=f"0101{50 + n % 40:02d}-{n % 4000:04d}", first_name="Karen", last_name=f"Jensen{n}",
            address=f"Søndergade {n}", postal_code="8000", city="Aarhus C", municipality_id=municipality.id,
            phone=f"2{n:07d}",
        )
        values.update(overrides)
        return citizen_service.CitizenData(**values)

    def citizen(self, actor: User | None = None, **overrides):
        actor = actor or self.user(Role.HELPDESK)
        with unit_of_work(self.session):
            citizen = citizen_service.create_citizen(self.session, self.citizen_data(**overrides), actor=actor,
                                                     now=utcnow())
        return citizen
