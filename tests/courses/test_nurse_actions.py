"""A nurse is offered only what she may do: a course her organisation does not lead shows no pause or end, and the
end form is refused before she fills it in; the lead organisation's nurse still sees and uses them."""

from __future__ import annotations

import pytest

from servicecenter.auth.models import Role
from servicecenter.organisations.models import OrganisationKind
from tests.courses.test_views import login, refer


@pytest.fixture
def orgs(factory):
    return {"gp": factory.organisation(OrganisationKind.GP_CLINIC, "GP-V"),
            "aarhus": factory.organisation(OrganisationKind.MUNICIPALITY, "751")}


def test_a_nurse_of_another_organisation_is_not_offered_pause_or_end(client, session, factory, orgs):
    gp_nurse = factory.user(Role.NURSE, organisation=orgs["gp"])
    municipal_nurse = factory.user(Role.NURSE, organisation=orgs["aarhus"])
    citizen = factory.citizen(actor=gp_nurse, responsible_organisation_id=orgs["gp"].id, municipality_code="461")
    course = refer(client, session, gp_nurse, citizen)  # led by the GP clinic

    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert f"/courses/{course.id}/pause" in page and f"/courses/{course.id}/end" in page  # the lead's nurse
    assert client.post(f"/courses/{course.id}/handover", data={"to_organisation_id": orgs["aarhus"].id}
                       ).status_code == 302  # offered to Aarhus, who sees the course but does not lead it yet

    login(client, municipal_nurse)
    response = client.get(f"/courses/{course.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"/courses/{course.id}/pause" not in page and f"/courses/{course.id}/end" not in page
    assert f"/courses/{course.id}/handover\"" not in page
    assert "/answer" in page  # what she may do: answer the offer
    assert client.get(f"/courses/{course.id}/end").status_code == 403  # no form to fill in and be refused
