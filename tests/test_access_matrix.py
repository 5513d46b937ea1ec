"""The object-level access matrix: every route with an id in its path × every role × own/other organisation ×
inside/outside need-to-know. Outside, a route answers exactly as for an object that does not exist (the same 404,
or the role's 403 for both) and names nobody; a POST changes nothing. Inside, a page opens (not a 404).

MATRIX names every route of `app.url_map` with a path argument: a new one makes this test fail until someone
decides how it is checked. Inside checks are for GET routes (a POST's success is each feature's own test; sent
empty here it would only meet validation)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from coordination.models import NonReturnCase, NonReturnStage, NonReturnTrigger
from dispatch.models import Visit
from servicecenter.auth.models import Role
from servicecenter.citizens import service as citizens
from servicecenter.citizens.models import ContactKind
from servicecenter.citizens.models import ContactPerson as Contact
from servicecenter.courses.models import Course, EndReason, Handover
from servicecenter.courses.service import end_course, get_course, offer_lead, open_course
from servicecenter.db import unit_of_work, utcnow
from servicecenter.organisations.models import OrganisationKind
from servicecenter.training import service as training
from servicecenter.training.models import TraineeKind, TrainingMethod, TrainingRecord, TrainingResult
from support.models import Category, Ticket, TicketEvent
from support.service import tickets
from tests.dispatch.test_field import Day

CITIZEN = "citizen"  # the route's ids are one citizen's objects: checked inside and outside need-to-know
MISSING = 2_000_000_000  # an id nobody has (inside PostgreSQL's integer)

# endpoint -> CITIZEN, or why the route's object carries no citizen (checked by role elsewhere).
MATRIX: dict[str, str] = {
    "citizens.view": CITIZEN, "citizens.edit": CITIZEN, "citizens.reveal_cpr": CITIZEN,
    "citizens.add_contact": CITIZEN, "citizens.remove_contact": CITIZEN, "citizens.open_course": CITIZEN,
    "citizens.timeline_page": CITIZEN, "citizens.timeline_pdf": CITIZEN,
    "audit.citizen_access": CITIZEN, "audit.citizen_access_csv": CITIZEN,
    "courses.view": CITIZEN, "courses.end": CITIZEN, "courses.offer": CITIZEN, "courses.pause": CITIZEN,
    "courses.resume": CITIZEN, "courses.answer": CITIZEN, "courses.withdraw": CITIZEN,
    "training.new": CITIZEN, "training.follow_up": CITIZEN,
    "dispatch.request_setup": CITIZEN, "dispatch.new_visit": CITIZEN, "dispatch.visit": CITIZEN,
    "dispatch.allocate": CITIZEN, "dispatch.assign": CITIZEN, "dispatch.book": CITIZEN, "dispatch.cancel": CITIZEN,
    "dispatch.exclude": CITIZEN, "dispatch.lock": CITIZEN, "dispatch.field_visit": CITIZEN,
    "dispatch.field_start": CITIZEN, "dispatch.field_scan": CITIZEN, "dispatch.field_fail": CITIZEN,
    "dispatch.field_complete": CITIZEN, "dispatch.field_replacement": CITIZEN, "dispatch.sheet": CITIZEN,
    "support.ticket": CITIZEN, "support.assign": CITIZEN, "support.change_device": CITIZEN,
    "support.change_group": CITIZEN, "support.link": CITIZEN, "support.merge": CITIZEN,
    "support.change_priority": CITIZEN, "support.reply": CITIZEN, "support.change_status": CITIZEN,
    "support.swap": CITIZEN, "support.take": CITIZEN, "support.service_visit": CITIZEN,
    "inventory.device": CITIZEN, "inventory.kit": CITIZEN, "portal.staff_access": CITIZEN,
    # No citizen in the object (role checks: tests/test_security.py's deny-by-default walk and each feature's):
    "admin.edit_user": "a staff account", "admin.reset_password": "a staff account",
    "admin.set_status": "a staff account", "organisations.edit": "an organisation",
    "courses.edit_programme": "a programme", "dispatch.confirm_link": "a signed link (tests/dispatch/test_confirm.py)",
    "dispatch.depot_location": "a depot", "dispatch.technician": "a technician", "dispatch.add_absence": "a technician",
    "dispatch.progress": "a planning run's progress bar", "dispatch.publish": "a planning run (helpdesk only)",
    "inventory.device_calibration": "a device's calibration (its page is checked as inventory.device)",
    "inventory.device_firmware": "a device's firmware (its page is checked as inventory.device)",
    "inventory.kit_action": "a kit's packing (its page is checked as inventory.kit)",
    "inventory.kit_label": "a kit's label: tag and contents", "inventory.place_label": "a place's label",
    "inventory.import_preview": "an import batch", "inventory.import_confirm": "an import batch",
    "inventory.edit_model": "a device model", "inventory.scan": "a scan mode (the scan's own checks: tests/inventory)",
    "inventory.sim": "a SIM card (shows its tablet, not where)", "inventory.sim_state": "a SIM card",
    "support.canned_edit": "a canned reply", "support.group_edit": "a support group",
    "support.kb_article": "a knowledge-base article", "support.kb_edit": "a knowledge-base article",
    "support.kb_helpful": "a knowledge-base article", "support.kb_new": "a new knowledge-base article",
    "coordination.chart": "a chart of the indicators (counts only; coordinators and admins)",
    "coordination.cases": "an indicator: its cases are cut by need-to-know (tests/coordination/test_views.py)",
    "coordination.report": "a monthly report (counts only)", "coordination.report_pdf": "a monthly report",
    "coordination.explain": "a monthly report's deviation", "coordination.release": "a monthly report",
    "coordination.regenerate": "a monthly report",
    "non_returns.case": CITIZEN, "non_returns.propose": CITIZEN, "non_returns.approve": CITIZEN,
    "non_returns.reject": CITIZEN, "non_returns.escalate": CITIZEN, "non_returns.found": CITIZEN,
    "knowledge.model": "a device model's figures (counts only; tests/knowledge/test_views.py)",
    "knowledge.survival_chart": "a kind of device's survival curves (counts only)",
    "knowledge.note": "an experience note (no personal data: refused with a CPR number; tests/knowledge)",
    "knowledge.revise_note": "an experience note",
    # A bearer token, not a staff login: the token's organisation decides (tests/api/test_scope_matrix.py).
    "api.device": "a device (its home named only to a token that may see her; tests/api)",
    "api.device_custody": "a device's custody (tests/api/test_scope_matrix.py)",
    "api.device_holder": "a device's custody at a time (tests/api/test_scope_matrix.py)",
    "api.citizen_courses": "a citizen, through a token (tests/api/test_scope_matrix.py)",
    "api.citizen_devices": "a citizen, through a token (tests/api/test_scope_matrix.py)",
    "api.visit": "a visit, through a token (tests/api/test_scope_matrix.py)",
    "api.ticket": "a ticket, through a token (tests/api/test_scope_matrix.py)",
    "api_admin.revoke": "an API token (admins)",
    # FHIR: the same bearer tokens (tests/fhirapi/test_scope_matrix.py).
    "fhir.device": "a device (never names a patient; tests/fhirapi)",
    "fhir.organization": "an organisation (no personal data)",
    "fhir.device_use": "a citizen's use of a device, through a token (tests/fhirapi/test_scope_matrix.py)",
    "fhir.patient": "a citizen, through a token (tests/fhirapi/test_scope_matrix.py)",
    "fhir.patient_everything": "a citizen, through a token (tests/fhirapi/test_scope_matrix.py)",
    "webhooks_admin.endpoint": "a webhook endpoint (admins; tests/webhooks/test_views.py)",
    "webhooks_admin.rotate": "a webhook endpoint (admins)", "webhooks_admin.set_enabled": "a webhook endpoint "
    "(admins)", "webhooks_admin.redeliver": "a webhook message: ids and states only (admins)",
    # The portal's own session, not a staff login: another citizen's visit is a 404 (tests/portal/).
    "portal.move_visit": "the signed-in citizen's visit", "portal.cancel_visit": "the signed-in citizen's visit",
    "portal.confirm_visit": "the signed-in citizen's visit",
}


def routes_with_ids(app) -> dict[str, list]:
    found: dict[str, list] = {}
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint != "static":
            found.setdefault(rule.endpoint, []).append(rule)
    return found


def test_every_route_with_an_id_is_in_the_matrix(app):
    routes = routes_with_ids(app)
    assert sorted(set(routes) - set(MATRIX)) == [], "add the new route to MATRIX (how is it checked?)"
    assert sorted(set(MATRIX) - set(routes)) == [], "a route in MATRIX no longer exists"


class Scene:
    """Two citizens and eight people. IN: led by the own organisation, a setup done today by Anna (on her
    published route), a contact, a training, a ticket, a lead offered onwards. OUT: led by a third organisation,
    a visit requested but nobody's yet, a ticket; the own organisation's earlier course ended long ago."""

    def __init__(self, session, factory):
        self.s = session
        day = self.day = Day(session, factory)
        own = factory.organisation(OrganisationKind.MUNICIPALITY, "751")
        other = factory.organisation(OrganisationKind.MUNICIPALITY, "461")
        third = factory.organisation(OrganisationKind.MUNICIPALITY, "730")
        self.users = {
            "helpdesk": day.helpdesk, "coordinator": day.coordinator,
            "warehouse": day.world.warehouse, "admin": factory.user(Role.ADMIN),
            "nurse_own": factory.user(Role.NURSE, organisation=own),
            "nurse_other": factory.user(Role.NURSE, organisation=other),
            "technician_on_route": day.world.technician, "technician_other": factory.user(Role.TECHNICIAN),
        }
        self.inside = {"in": {"helpdesk", "coordinator", "nurse_own", "technician_on_route"},
                       "out": {"helpdesk", "coordinator"}}
        self.citizens = {"in": day.citizen(first_name="Indenfor", responsible_organisation_id=own.id),
                         "out": day.citizen(first_name="Udenfor", responsible_organisation_id=third.id)}
        self.ids = {"in": self._inside(own, third), "out": self._outside(own)}

    def _inside(self, own, third) -> dict:
        day, s, citizen = self.day, self.s, self.citizens["in"]
        visit, members = day.setup_visit(citizen)
        day.publish({day.anna: [visit]})
        day.complete_setup(visit, members)
        course = s.get(Visit, visit.id).course
        kit_tag = s.get(Visit, visit.id).kit_id and _kit_tag(s, visit.id)
        with unit_of_work(s):
            offer_lead(s, get_course(s, course.id), to_organisation_id=third.id, actor=self.users["nurse_own"],
                       now=utcnow())
        return {**self._common(citizen, course.id), "visit_id": visit.id, "tag": members[0].tag, "kit": kit_tag,
                "technician_id": day.anna.id, "day": day.today.isoformat(),
                "handover_id": s.scalar(select(Handover.id).where(Handover.course_id == course.id))}

    def _outside(self, own) -> dict:
        day, s, citizen = self.day, self.s, self.citizens["out"]
        long_ago = utcnow() - dt.timedelta(days=400)
        with unit_of_work(s):  # the own organisation's care ended long ago
            old = open_course(s, citizen_id=citizen.id, programme_id=day.world.copd.id,
                              actor=self.users["nurse_own"], now=long_ago)
        with unit_of_work(s):
            end_course(s, get_course(s, old.id), reason=EndReason.COMPLETED, exclusion_reason=None,
                       actor=self.users["nurse_own"], now=long_ago + dt.timedelta(days=30))
        with unit_of_work(s):
            visit = _request(s, day, citizen)
        return {**self._common(citizen, visit.course_id), "visit_id": visit.id}

    def _common(self, citizen, course_id: int) -> dict:
        s, helpdesk = self.s, self.day.helpdesk
        with unit_of_work(s):
            contact = citizens.add_contact(s, citizen, citizens.ContactData(kind=ContactKind.RELATIVE, name="Datter",
                                                                            phone="20304050"), actor=helpdesk,
                                           now=utcnow())
            record = training.record_training(s, training.TrainingData(
                trainee_kind=TraineeKind.CITIZEN, trainer_id=helpdesk.id, held_at=utcnow() - dt.timedelta(hours=1),
                method=TrainingMethod.PHONE, result=TrainingResult.PASSED, course_id=course_id,
                answers=[training.ChecklistAnswer(i, True) for i in get_course(s, course_id).programme.checklist]),
                actor=helpdesk, now=utcnow())
            ticket = tickets.create_ticket(s, tickets.TicketData(subject="Tabletten starter ikke",
                                                                 category=Category.DEVICE_FAULT,
                                                                 citizen_id=citizen.id), actor=helpdesk, now=utcnow())
            case = NonReturnCase(course_id=course_id, citizen_id=citizen.id, trigger=NonReturnTrigger.PICKUP_FAILED,
                                 stage=NonReturnStage.REMINDED, opened_at=utcnow(), stage_since=utcnow())
            s.add(case)  # the case as the job opens it: what matters here is whose it is
        contact_id = getattr(contact, "id", None) or s.scalar(
            select(Contact.id).where(Contact.citizen_id == citizen.id))
        return {"citizen_id": citizen.id, "course_id": course_id, "contact_id": contact_id,
                "record_id": record.id, "ticket_id": ticket.id, "case_id": case.id}

    def state(self) -> list:
        """Everything a refused POST could have changed, for both citizens."""
        self.s.rollback()
        ids = [c.id for c in self.citizens.values()]
        rows = []
        for model, column in ((Course, Course.citizen_id), (Visit, Visit.citizen_id), (Contact, Contact.citizen_id),
                              (Ticket, Ticket.citizen_id), (NonReturnCase, NonReturnCase.citizen_id)):
            for row in self.s.scalars(select(model).where(column.in_(ids)).order_by(model.id)):
                rows.append([(c.key, getattr(row, c.key)) for c in model.__table__.columns])
        courses = select(Course.id).where(Course.citizen_id.in_(ids))
        rows += [vars(h).get("status") for h in self.s.scalars(select(Handover).where(Handover.course_id.in_(courses)))]
        rows += [(r.id, r.follow_up_held_at)
                 for r in self.s.scalars(select(TrainingRecord).where(TrainingRecord.course_id.in_(courses)))]
        rows.append(self.s.scalar(select(TicketEvent.id).order_by(TicketEvent.id.desc()).limit(1)))
        rows.append([c.version for c in self.citizens_now()])
        return [repr(r) for r in rows]

    def citizens_now(self):
        from servicecenter.citizens.models import Citizen

        return [self.s.get(Citizen, c.id) for c in self.citizens.values()]


def _kit_tag(session, visit_id: int) -> str | None:
    from inventory.models import Kit

    kit_id = session.get(Visit, visit_id).kit_id
    return session.get(Kit, kit_id).tag if kit_id else None


def _request(session, day, citizen) -> Visit:
    from dispatch.service import visits

    return visits.request_setup(session, citizen_id=citizen.id, programme_id=day.world.copd.id,
                                request=day.request(), actor=day.helpdesk, now=utcnow(), today=day.today)


def url_for_ids(rule, ids: dict) -> str | None:
    """The rule's path with this citizen's objects; None when the citizen has no such object."""
    values = {}
    for arg in rule.arguments:
        key = "kit" if arg == "tag" and rule.endpoint.startswith("inventory.kit") else arg
        if ids.get(key) is None:
            return None
        values[arg] = ids[key]
    return rule.build(values)[1]


def missing_ids(ids: dict) -> dict:
    return {k: ("ZZ-NOPE-1" if k in ("tag", "kit") else v if k == "day" else MISSING) for k, v in ids.items()}


@pytest.fixture
def scene(session, factory):
    return Scene(session, factory)


def test_outside_need_to_know_every_route_answers_as_for_nothing_and_changes_nothing(app, scene):
    clients = {}
    for name, user in scene.users.items():
        clients[name] = app.test_client()
        assert clients[name].login(user.username).status_code == 302, name
    before = scene.state()
    routes = routes_with_ids(app)
    checked: dict[str, set] = {}
    for endpoint, rules in sorted(routes.items()):
        if MATRIX.get(endpoint) != CITIZEN:
            continue
        for rule in rules:
            methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
            for who in ("in", "out"):
                path = url_for_ids(rule, scene.ids[who])
                if path is None:
                    continue
                nothing = url_for_ids(rule, missing_ids(scene.ids[who]))
                name = scene.citizens[who].last_name
                for user in sorted(set(scene.users) - scene.inside[who]):
                    for method in methods:
                        answer = clients[user].open(path, method=method, data={})
                        body = answer.get_data(as_text=True) if answer.mimetype.startswith("text") else ""
                        assert name not in body, (endpoint, method, user, who)
                        if endpoint in ("inventory.device", "inventory.kit"):  # a device is seen, its home is not
                            assert f"/citizens/{scene.ids[who]['citizen_id']}" not in body, (endpoint, user, who)
                            continue
                        expected = clients[user].open(nothing, method=method, data={}).status_code
                        assert (answer.status_code, expected) in ((404, 404), (403, 403)), \
                            (endpoint, method, user, who, answer.status_code, expected)
                        checked.setdefault(endpoint, set()).add(("outside", user))
    assert scene.state() == before, "a refused request changed something"
    for endpoint, rules in sorted(routes.items()):
        if MATRIX.get(endpoint) != CITIZEN:
            continue
        for rule in rules:
            if "GET" not in rule.methods:
                continue
            for who in ("in", "out"):
                path = url_for_ids(rule, scene.ids[who])
                if path is None:
                    continue
                for user in sorted(scene.inside[who]):
                    status = clients[user].get(path).status_code
                    assert status != 404 and status < 500, (endpoint, user, who, status)
                    if status == 200:
                        checked.setdefault(endpoint, set()).add(("inside", user))
    never_refused = sorted(e for e, v in MATRIX.items() if v == CITIZEN and not any(
        kind == "outside" for kind, _u in checked.get(e, ())) and e not in ("inventory.device", "inventory.kit"))
    assert never_refused == []
    get_routes = {e for e, rules in routes.items() if MATRIX.get(e) == CITIZEN and any("GET" in r.methods
                                                                                       for r in rules)}
    never_opened = sorted(e for e in get_routes if not any(kind == "inside" for kind, _u in checked.get(e, ())))
    assert never_opened == [], "a GET route no inside user could open"
