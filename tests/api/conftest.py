"""A small world for the API: two municipalities, a citizen of each with a set-up home (devices in it), and tokens
issued as an admin issues them."""

from __future__ import annotations

import pytest

from api.service import tokens
from api.service.tokens import Scope
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import OrganisationKind
from tests.inventory.helpers import World

ALL = [s.value for s in Scope]


class ApiWorld(World):
    def __init__(self, session, factory):
        super().__init__(session, factory)
        self.admin = factory.user(Role.ADMIN)
        self.aarhus = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
        self.copenhagen = factory.organisation(OrganisationKind.MUNICIPALITY, "101")
        self.ours = factory.citizen(municipality_code="751")
        self.theirs = factory.citizen(municipality_code="101")
        self.our_home, self.our_devices = self.set_up_home(self.ours)
        self.their_home, self.their_devices = self.set_up_home(self.theirs)

    def token(self, scopes=None, *, organisation=None) -> str:
        with unit_of_work(self.s):
            _row, token = tokens.issue(self.s, name="Test integration", scopes=scopes or ALL,
                                       organisation_id=organisation.id if organisation else None, actor=self.admin,
                                       now=utcnow())
        return token


@pytest.fixture
def api_world(session, factory):
    return ApiWorld(session, factory)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
