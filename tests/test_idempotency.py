"""Nothing done twice: every form that creates something carries a one-time key, the same form submitted twice
at the same moment (two threads, real HTTP through the test client, both databases) creates one record, and a
citizen has at most one open course per programme (the service says which, the database holds it)."""

from __future__ import annotations

import datetime as dt
import inspect
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from alembic import command
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.exc import IntegrityError

from dispatch.models import Absence, Technician, Visit, VisitKind
from inventory.models import Device, DeviceModel, Holder, ImportBatch, Kit
from knowledge.models import ExperienceNote
from servicecenter import idempotency
from servicecenter.auth.models import Role, User
from servicecenter.citizens.models import Citizen, ContactPerson
from servicecenter.courses import service as courses
from servicecenter.courses.models import Course, CourseStatus, EndReason, Handover, Programme
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import Conflict, DomainError
from servicecenter.idempotency import IdempotencyKey
from servicecenter.jobs import JOBS
from servicecenter.migrations import alembic_config
from servicecenter.organisations.models import Cluster, Organisation
from servicecenter.training.models import TrainingRecord
from support.models import Article, CannedResponse, EventKind, SupportGroup, Ticket, TicketEvent
from tests.citizens.test_views import form_for
from tests.conftest import make_test_app
from tests.courses.test_views import training_form
from tests.dispatch.helpers import next_weekday
from tests.support.helpers import SupportWorld

# --- the static check: every POST endpoint is a create form with the key, or says here why it is not ---------

NOT_CREATING = {
    # the API: a bearer token, no form; a create is made once per Idempotency-Key header (tests/api/test_api.py)
    "fhir.device_use_search_post": "a FHIR search (POST so a CPR number stays out of the URL): reads only",
    "api.citizen_lookup": "looks a citizen up (the CPR number in the body)",
    "api.request_setup": "an API call: once per Idempotency-Key", "api.create_ticket": "an API call: once per "
    "Idempotency-Key", "api_admin.revoke": "revokes a token",
    "webhooks_admin.rotate": "rotates a secret (a repeat rotates again; the page shows the last)",
    "webhooks_admin.set_enabled": "edits", "webhooks_admin.redeliver": "queues a message again (a repeat: the same)",
    # the citizens' portal: signing in, and changes to her own visits and grants
    "portal.ask_code": "sends a code (limited per number and address)", "portal.check_code": "signs in",
    "portal.choose": "signs in", "portal.logout": "signs out", "portal.confirm_visit": "edits (once)",
    "portal.move_visit": "edits (a repeat finds the visit on the new time)", "portal.cancel_visit": "edits (once)",
    "portal.relatives": "grants or withdraws; a repeated grant renews the same (the history is kept)",
    "portal.staff_access": "grants or withdraws; a repeated grant renews the same (the history is kept)",
    # sign-in, language, search: nothing is created
    "auth.login": "signs in", "auth.logout": "signs out", "auth.change_password": "changes a password",
    "main.set_language": "a session setting", "citizens.search": "a search", "admin.users": "a search",
    # changes to a thing that exists: a second submission changes it to the same again
    "admin.edit_user": "edits", "admin.reset_password": "edits", "admin.set_status": "edits",
    "citizens.edit": "edits (versioned)", "citizens.remove_contact": "deletes", "citizens.reveal_cpr": "a read",
    "citizens.break_glass": "one access per citizen and day (the service keeps the first)",
    "courses.answer": "a transition of the open offer", "courses.withdraw": "a transition of the open offer",
    "courses.end": "a transition", "courses.pause": "a transition", "courses.resume": "a transition",
    "training.follow_up": "sets the record's follow-up once",
    "dispatch.allocate": "a transition", "dispatch.assign": "a transition", "dispatch.book": "a transition",
    "dispatch.cancel": "a transition", "dispatch.exclude": "a flag", "dispatch.lock": "a flag",
    "dispatch.confirm_link": "the citizen's answer, once per link", "dispatch.depot_location": "edits",
    "dispatch.optimise": "one planning run per day at a time", "dispatch.publish": "a transition of the run",
    "dispatch.field_start": "a transition", "dispatch.field_complete": "a transition (DONE once, locked)",
    "dispatch.field_fail": "a transition", "dispatch.field_scan": "a movement only if the device is not there yet",
    "dispatch.field_replacement": "a movement only if the device is not there yet",
    "inventory.device_calibration": "edits", "inventory.device_firmware": "edits", "inventory.edit_model": "edits",
    "inventory.import_confirm": "the locked batch imports once", "inventory.kit_action": "packs what is not packed",
    "inventory.labels": "a PDF", "inventory.recall": "a search", "inventory.scan": "a movement only if needed",
    "inventory.sim_state": "a transition", "inventory.stock_count": "a count of what is there",
    "support.assign": "a transition", "support.take": "a transition", "support.change_device": "edits",
    "support.change_group": "edits", "support.change_priority": "edits", "support.change_status": "a transition",
    "support.duty": "a flag", "support.identify": "a lookup", "support.kb_helpful": "one vote per person",
    "support.link": "one link per pair", "support.merge": "a transition", "support.settings": "edits",
    "support.canned_edit": "edits",
    "coordination.explain": "edits (versioned)", "coordination.release": "a transition, once (versioned)",
    "coordination.regenerate": "recomputes a draft (versioned; one report per month, unique)",
    "non_returns.propose": "a transition of the case (versioned)", "non_returns.approve": "a transition, once "
    "(versioned; the devices' lose is a repeat-safe ledger operation)", "non_returns.reject": "a transition "
    "(versioned)", "non_returns.escalate": "a transition of the case (versioned)",
    "non_returns.found": "a versioned change of the case (a stale page is refused)",
    "knowledge.revise_note": "a revision only of a changed text, of the version opened (versioned)",
}


@pytest.fixture
def sqlite_app(sqlite_url):
    app = make_test_app(sqlite_url)
    yield app
    app.extensions["database"].engine.dispose()


def creating_endpoints(app) -> set[str]:
    return {endpoint for endpoint, view in app.view_functions.items() if getattr(view, "creates", False)}


def test_every_post_endpoint_creates_through_the_key_or_is_named_as_not_creating(sqlite_app):
    posts = {rule.endpoint for rule in sqlite_app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    creating = creating_endpoints(sqlite_app)
    assert sorted(posts - creating - NOT_CREATING.keys()) == [], "decorate a create view with @creates"
    assert sorted(creating & NOT_CREATING.keys()) == []
    assert sorted(NOT_CREATING.keys() - posts) == [], "a route named here is gone"


@dataclass
class PostForm:
    template: str
    action: str | None  # the endpoint in action="{{ url_for('...') }}"; None: the page's own address
    has_key: bool


def post_forms(name: str, source: str) -> list[PostForm]:
    forms = []
    for match in re.finditer(r"<form\b", source):
        end = match.start()
        depth = 0
        while end < len(source) and not (source[end] == ">" and depth == 0):  # the tag, Jinja expressions inside
            depth += source.startswith("{{", end) - source.startswith("}}", end)
            end += 1
        tag = source[match.start():end]
        if not re.search(r'method="post"', tag, re.I):
            continue
        body = source[end:source.find("</form>", end)]
        action = re.search(r"action=\"\{\{\s*url_for\('([\w.]+)'", tag)
        forms.append(PostForm(name, action.group(1) if action else None if "action=" not in tag else "?",
                              "idempotency_field()" in body))
    return forms


def keyless_create_forms(app, templates: dict[str, str]) -> list[str]:
    """Problems: a form posting to a create endpoint without the key, or a create endpoint no keyed form reaches."""
    forms = [form for name, source in templates.items() for form in post_forms(name, source)]
    problems = [f"{f.template}: the form posting to {f.action} has no idempotency_field()"
                for f in forms if f.action in creating_endpoints(app) and not f.has_key]
    for endpoint in sorted(creating_endpoints(app)):
        rendered = re.findall(r'render_template\(\s*"([^"]+)"', inspect.getsource(
            inspect.unwrap(app.view_functions[endpoint])))
        if not any(f.has_key and (f.action == endpoint or (f.action is None and f.template in rendered))
                   for f in forms):
            problems.append(f"{endpoint}: no form with idempotency_field() posts to it")
    return problems


def all_templates(app) -> dict[str, str]:
    env = app.jinja_env
    return {name: env.loader.get_source(env, name)[0] for name in env.list_templates(extensions=["html"])}


def test_every_create_form_carries_the_one_time_key(sqlite_app):
    with sqlite_app.app_context():
        assert keyless_create_forms(sqlite_app, all_templates(sqlite_app)) == []


def test_the_check_finds_a_create_form_that_lost_its_key(sqlite_app):
    with sqlite_app.app_context():
        templates = all_templates(sqlite_app)
    templates["support/ticket.html"] = templates["support/ticket.html"].replace("{{ idempotency_field() }}", "")
    templates["citizens/form.html"] = templates["citizens/form.html"].replace("{{ idempotency_field() }}", "")
    problems = keyless_create_forms(sqlite_app, templates)
    assert "support/ticket.html: the form posting to support.reply has no idempotency_field()" in problems
    assert "citizens.new: no form with idempotency_field() posts to it" in problems


# --- two submissions of one form at the same moment --------------------------------------------------------


def login(client, user):
    assert client.login(user.username).status_code == 302
    client.post("/language", data={"lang": "en"})


def twice_at_once(app, session, user, url: str, data: Callable[[], dict]) -> list[int]:
    """The same form (the same key) posted by two clients of the same user released together; the statuses."""
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        login(client, user)
    session.rollback()  # the test's session holds no snapshot or lock meanwhile
    barrier, statuses = threading.Barrier(2, timeout=20), []

    def post(client):
        barrier.wait()
        statuses.append(client.post(url, data=data()).status_code)

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(statuses)


def count(session, model, *where) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model).where(*where))


@dataclass
class Case:
    user: User
    url: str
    data: dict | Callable[[], dict]  # a callable for a form that carries a file: each submission reads its own
    made: Callable[[], int]  # how many records the form made

    def form(self) -> dict:
        return self.data() if callable(self.data) else dict(self.data)


def visit_window() -> dict:
    soon = next_weekday()
    return {"earliest_on": soon.isoformat(), "latest_on": (soon + dt.timedelta(days=14)).isoformat(),
            "time_of_day": "morning", "urgency": "normal"}


def referred(w: SupportWorld, citizen=None) -> Course:
    citizen = citizen or w.citizen_near(1)
    with unit_of_work(w.s):
        return courses.open_course(w.s, citizen_id=citizen.id, programme_id=w.copd.id, actor=w.helpdesk,
                                   now=utcnow())


def _citizen(w: SupportWorld) -> Case:
    return Case(w.helpdesk, "/citizens/new", form_for(w.factory, cpr="120345-1234"),
                lambda: count(w.s, Citizen, Citizen.cpr == "1203451234"))


def _contact(w: SupportWorld) -> Case:
    citizen = w.citizen_near(1)
    return Case(w.helpdesk, f"/citizens/{citizen.id}/contacts",
                {"kind": "relative", "name": "Bo Jensen", "relation": "søn", "phone": "40 11 22 33"},
                lambda: count(w.s, ContactPerson, ContactPerson.citizen_id == citizen.id))


def _referral(w: SupportWorld) -> Case:
    citizen = w.citizen_near(1)
    return Case(w.helpdesk, f"/citizens/{citizen.id}/courses", {"programme_id": w.copd.id},
                lambda: count(w.s, Course, Course.citizen_id == citizen.id))


def _setup_request(w: SupportWorld) -> Case:
    citizen = w.citizen_near(1)
    return Case(w.helpdesk, f"/dispatch/request/{citizen.id}", {"programme_id": w.copd.id, **visit_window()},
                lambda: count(w.s, Course, Course.citizen_id == citizen.id)
                + count(w.s, Visit, Visit.citizen_id == citizen.id))


def _visit(w: SupportWorld) -> Case:
    course = referred(w)
    return Case(w.helpdesk, f"/dispatch/courses/{course.id}/visits/new", {"kind": "service", **visit_window()},
                lambda: count(w.s, Visit, Visit.course_id == course.id, Visit.kind == VisitKind.SERVICE))


def _technician(w: SupportWorld) -> Case:
    user = w.factory.user(Role.TECHNICIAN)
    return Case(w.coordinator, "/dispatch/technicians/new", {"user_id": user.id, "depot_id": w.depot.id},
                lambda: count(w.s, Technician, Technician.user_id == user.id))


def _call(w: SupportWorld) -> Case:
    return Case(w.helpdesk, "/support/call/log",
                {"q": "70 70 70 70", "citizen_id": "", "device_id": 0, "category": "how_to", "body": "Hvordan?",
                 "requester_kind": "nurse", "requester_name": "Ida", "channel": "phone", "priority": "P4"},
                lambda: count(w.s, Ticket))


def _reply(w: SupportWorld) -> Case:
    ticket = w.ticket()
    return Case(w.helpdesk, f"/support/tickets/{ticket.id}/reply", {"reply-body": "Vi kigger", "reply-kind": "reply"},
                lambda: count(w.s, TicketEvent, TicketEvent.ticket_id == ticket.id,
                              TicketEvent.kind == EventKind.REPLY))


def _article(w: SupportWorld) -> Case:
    return Case(w.helpdesk, "/support/kb/new", {"device_model_id": "0", "category": "connectivity",
                                                "title_da": "Opladning", "body_da": "Sæt stikket i.",
                                                "title_en": "Charging", "body_en": "Plug it in."},
                lambda: count(w.s, Article))


def _canned(w: SupportWorld) -> Case:
    return Case(w.coordinator, "/support/canned", {"title": "Skift aftalt", "body": "Hej {citizen_name}"},
                lambda: count(w.s, CannedResponse))


def _group(w: SupportWorld) -> Case:
    return Case(w.coordinator, "/support/groups/new", {"name": "2. linje", "members": [w.agents[1].id]},
                lambda: count(w.s, SupportGroup, SupportGroup.name == "2. linje"))


def _device_model(w: SupportWorld) -> Case:
    return Case(w.warehouse, "/inventory/models", {"category": "tablet", "manufacturer": "Acme", "name": "Tab 9",
                                                   "model_number": "T9"},
                lambda: count(w.s, DeviceModel, DeviceModel.model_number == "T9"))


def _note(w: SupportWorld) -> Case:
    return Case(w.coordinator, "/knowledge/notes/new",
                {"subject": f"programme:{w.copd.id}", "title": "Ny vægt", "body": "Den nye vægt skal nulstilles."},
                lambda: count(w.s, ExperienceNote, ExperienceNote.programme_id == w.copd.id))


def _place(w: SupportWorld) -> Case:
    return Case(w.warehouse, "/inventory/places", {"place-kind": "van", "place-name": "Van 9", "place-depot_id": 0},
                lambda: count(w.s, Holder, Holder.name == "Van 9"))


def _kit(w: SupportWorld) -> Case:
    return Case(w.warehouse, "/inventory/kits", {"template_id": w.template.id}, lambda: count(w.s, Kit))


def _user(w: SupportWorld) -> Case:
    admin = w.factory.user(Role.ADMIN)
    return Case(admin, "/admin/users/new", {"username": "ny.tekniker", "full_name": "Ny Tekniker",
                                            "role": "technician", "organisation_id": admin.organisation_id,
                                            "password": "a-long-enough-password"},
                lambda: count(w.s, User, User.username == "ny.tekniker"))


def _organisation(w: SupportWorld) -> Case:
    cluster = w.s.scalar(select(Cluster).where(Cluster.code == "VEST"))
    return Case(w.factory.user(Role.ADMIN), "/admin/organisations/new",
                {"kind": "gp_clinic", "name": "Lægerne i Lemvig", "code": "GP-7620", "cluster_id": cluster.id,
                 "is_active": "y"},
                lambda: count(w.s, Organisation, Organisation.code == "GP-7620"))


def _programme(w: SupportWorld) -> Case:
    return Case(w.coordinator, "/courses/programmes/new",
                {"code": "DIAB", "name": "Diabetes", "follow_up_days": 14, "competence_months": 24,
                 "checklist": "Måler blodsukker"},
                lambda: count(w.s, Programme, Programme.code == "DIAB"))


def _offer(w: SupportWorld) -> Case:
    course = referred(w)
    nurse = w.factory.user(Role.NURSE, organisation=w.s.get(Organisation, course.lead_organisation_id))
    other = w.factory.organisation(code="461")
    return Case(nurse, f"/courses/{course.id}/handover", {"to_organisation_id": other.id},
                lambda: count(w.s, Handover, Handover.course_id == course.id))


def _absence(w: SupportWorld) -> Case:
    technician, _user = w.make_technician(competent=False)
    first = next_weekday() + dt.timedelta(days=7)
    return Case(w.coordinator, f"/dispatch/technicians/{technician.id}/absences",
                {"absence-first_day": first.isoformat(), "absence-last_day": first.isoformat(),
                 "absence-reason": "Kursus"},
                lambda: count(w.s, Absence, Absence.technician_id == technician.id))


def _device(w: SupportWorld) -> Case:
    return Case(w.warehouse, "/inventory/devices/new",
                {"model": "M-tablet", "serial": "HAND-7", "owner_organisation_id": w.region.id,
                 "depot_id": w.depot.id},
                lambda: count(w.s, Device, Device.serial == "HAND-7"))


def _delivery(w: SupportWorld) -> Case:
    fields = {"depot_id": w.depot.id, "owner_organisation_id": w.region.id}  # plain ids: read by two threads

    def form():
        return {**fields, "file": (io.BytesIO(b"model,serial\nM-tablet,A1\n"), "d.csv")}

    return Case(w.warehouse, "/inventory/import", form, lambda: count(w.s, ImportBatch))


def _swap(w: SupportWorld) -> Case:
    citizen, _home, tablet = w.tablet_at_home()
    ticket = w.ticket(citizen_id=citizen.id, device_id=tablet.id)
    return Case(w.helpdesk, f"/support/tickets/{ticket.id}/swap", {"swap-note": "Skærmen er sort"},
                lambda: count(w.s, Visit, Visit.citizen_id == citizen.id, Visit.kind == VisitKind.SWAP))


def _service_visit(w: SupportWorld) -> Case:
    setup, _members = w.set_up_home(w.citizen_near(1))
    ticket = w.ticket(citizen_id=setup.citizen_id)
    return Case(w.helpdesk, f"/support/tickets/{ticket.id}/visit", {"visit-note": "Tjek vægten"},
                lambda: count(w.s, Visit, Visit.course_id == setup.course_id, Visit.kind == VisitKind.SERVICE))


def _staff_training(w: SupportWorld) -> Case:
    technician = w.factory.user(Role.TECHNICIAN)
    form = {"programme_id": w.copd.id, "trainee": str(technician.id), "trainer_id": w.coordinator.id,
            "held_at": (utcnow() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"), "method": "group",
            "result": "passed", "note": ""}
    form.update({f"item-{n}-passed": "on" for n in range(len(w.copd.checklist))})
    form.update({f"item-{n}-text": item for n, item in enumerate(w.copd.checklist)})
    return Case(w.coordinator, "/training/staff/new", form,
                lambda: count(w.s, TrainingRecord, TrainingRecord.staff_user_id == technician.id))


def _training(w: SupportWorld) -> Case:
    course = referred(w)
    return Case(w.helpdesk, f"/training/course/{course.id}/new",
                training_form(course, w.s, trainer_id=w.helpdesk.id),
                lambda: count(w.s, TrainingRecord, TrainingRecord.course_id == course.id))


CASES = {"citizens.new": _citizen, "citizens.add_contact": _contact, "citizens.open_course": _referral,
         "dispatch.request_setup": _setup_request, "dispatch.new_visit": _visit, "dispatch.technician": _technician,
         "support.log_call": _call, "support.reply": _reply, "support.kb_new": _article, "support.canned": _canned,
         "support.group_edit": _group, "inventory.models": _device_model, "inventory.places": _place,
         "knowledge.new_note": _note,
         "inventory.create_kit": _kit, "admin.new_user": _user, "organisations.edit": _organisation,
         "courses.edit_programme": _programme, "courses.offer": _offer, "training.new": _training,
         "dispatch.add_absence": _absence, "inventory.register_device": _device, "inventory.import_upload": _delivery,
         "support.swap": _swap, "support.service_visit": _service_visit, "training.new_staff": _staff_training}


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


@pytest.mark.parametrize("endpoint", sorted(CASES))
def test_the_same_form_submitted_twice_at_once_creates_one_record(endpoint, app, session, world):
    case = CASES[endpoint](world)
    key = idempotency.new_key()
    statuses = twice_at_once(app, session, case.user, case.url, lambda: {**case.form(), "idempotency_key": key})
    made = case.made()
    assert (statuses, made) == ([302, 302], 2 if endpoint == "dispatch.request_setup" else 1)
    assert count(session, IdempotencyKey, IdempotencyKey.key == key) == 1


def test_without_a_key_two_submissions_create_two_records(app, client, session, world):
    """The key is what makes the difference: the same call logged twice without it is two tickets."""
    case = _call(world)
    login(client, case.user)
    assert [client.post(case.url, data=case.form()).status_code for _ in range(2)] == [302, 302]
    assert case.made() == 2


def test_a_repeat_goes_to_the_first_record_and_says_so(app, client, session, world):
    case = _call(world)
    login(client, case.user)
    data = {**case.form(), "idempotency_key": idempotency.new_key()}
    first, again = client.post(case.url, data=data), client.post(case.url, data=data, follow_redirects=True)
    assert again.request.path == first.headers["Location"]
    assert "This form was already sent" in again.get_data(as_text=True)
    assert case.made() == 1


def test_a_key_used_by_someone_else_or_not_finished_asks_to_reload(app, client, session, world):
    case = _call(world)
    with unit_of_work(session):
        session.add(IdempotencyKey(key="taken-key", kind="support.log_call", ref=None, user_id=world.helpdesk.id,
                                   created_at=utcnow()))
    login(client, case.user)
    again = client.post(case.url, data={**case.form(), "idempotency_key": "taken-key"}, follow_redirects=True)
    assert "This form was already used. Reload the page and try again." in again.get_data(as_text=True)
    assert case.made() == 0


def test_the_nightly_job_forgets_keys_older_than_ninety_days(session, world):
    now = utcnow()
    with unit_of_work(session):
        for key, age in (("old", 91), ("recent", 89)):
            session.add(IdempotencyKey(key=key, kind="support.log_call", ref="1", user_id=world.helpdesk.id,
                                       created_at=now - dt.timedelta(days=age)))
    with unit_of_work(session):
        assert JOBS["forget_old_form_keys"].run(session, now, {}) == "forgot 1 form keys"
    assert session.scalars(select(IdempotencyKey.key)).all() == ["recent"]


def test_the_training_form_renders_a_fresh_key_each_time(client, session, world):
    course = referred(world)
    login(client, world.helpdesk)
    keys = [re.search(r'name="idempotency_key" value="([^"]+)"',
                      client.get(f"/training/course/{course.id}/new").get_data(as_text=True)).group(1)
            for _ in range(2)]
    assert len(set(keys)) == 2


# --- one open course per citizen and programme ----------------------------------------------------------------


def test_a_second_open_course_on_the_same_programme_is_refused_naming_the_first(session, world):
    first = referred(world)
    with pytest.raises(Conflict) as refused, unit_of_work(session):
        courses.open_course(session, citizen_id=first.citizen_id, programme_id=world.copd.id, actor=world.helpdesk,
                            now=utcnow())
    assert f"open COPD course (no. {first.id}," in str(refused.value) or f"(no. {first.id}," in str(refused.value)
    assert refused.value.field == "programme_id"


def test_after_the_course_has_ended_the_citizen_can_be_referred_again(session, world):
    first = referred(world)
    with unit_of_work(session):
        courses.end_course(session, session.get(Course, first.id), reason=EndReason.DECLINED, exclusion_reason=None,
                           actor=world.helpdesk, now=utcnow())
    second = referred(world, session.get(Citizen, first.citizen_id))
    assert second.id != first.id and second.status == CourseStatus.REFERRED


def test_the_database_refuses_a_second_open_course_and_allows_it_beside_an_ended_one(session, world):
    first = referred(world)
    row = {"citizen_id": first.citizen_id, "programme_id": world.copd.id, "created_at": utcnow()}
    with pytest.raises(IntegrityError), unit_of_work(session):
        session.execute(insert(Course).values(status=CourseStatus.REFERRED, **row))
    with unit_of_work(session):
        session.execute(insert(Course).values(status=CourseStatus.ENDED, end_reason=EndReason.COMPLETED, **row))
    assert count(session, Course, Course.citizen_id == first.citizen_id) == 2


def test_two_referrals_at_once_without_a_key_make_one_course_and_one_clear_refusal(app, session, world):
    citizen_id, programme_id, helpdesk_id = world.citizen_near(1).id, world.copd.id, world.helpdesk.id
    factory = app.extensions["database"].factory
    session.rollback()
    barrier, outcomes = threading.Barrier(2, timeout=20), []

    def refer():
        s = factory()
        try:
            barrier.wait()
            with unit_of_work(s):
                courses.open_course(s, citizen_id=citizen_id, programme_id=programme_id,
                                    actor=s.get(User, helpdesk_id), now=utcnow())
            outcomes.append("ok")
        except DomainError as error:
            outcomes.append(type(error).__name__)
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            s.close()

    threads = [threading.Thread(target=refer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["Conflict", "ok"]
    assert count(session, Course, Course.citizen_id == citizen_id) == 1


def test_a_nurse_asking_twice_for_a_setup_is_told_which_course_is_open(app, client, session, world):
    first = referred(world)
    login(client, world.helpdesk)
    again = client.post(f"/dispatch/request/{first.citizen_id}",
                        data={"programme_id": world.copd.id, **visit_window()})
    assert again.status_code == 409 and f"(no. {first.id}," in again.get_data(as_text=True)
    assert count(session, Course, Course.citizen_id == first.citizen_id) == 1


# --- migration 0015 on a database made before it ------------------------------------------------------------------


def test_0015_keeps_the_training_forms_tokens_and_waits_for_a_person_on_two_open_courses(app, session, world):
    course = referred(world)
    with unit_of_work(session):
        courses.open_course(session, citizen_id=world.citizen_near(2).id, programme_id=world.copd.id,
                            actor=world.helpdesk, now=utcnow())
    form = training_form(course, session, trainer_id=world.helpdesk.id)
    client = app.test_client()
    login(client, world.helpdesk)
    assert client.post(f"/training/course/{course.id}/new", data=form).status_code == 302
    session.rollback()
    record_id, course_id = session.scalar(select(TrainingRecord.id)), course.id
    session.close()
    url = str(app.extensions["database"].engine.url.render_as_string(hide_password=False))
    app.extensions["database"].engine.dispose()

    command.downgrade(alembic_config(url), "0014")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE training_records SET form_token = 'old-form' WHERE id = :id"), {"id": record_id})
        conn.execute(text("INSERT INTO courses (citizen_id, programme_id, status, created_at) "
                          "SELECT citizen_id, programme_id, 'referred', created_at FROM courses WHERE id = :id"),
                     {"id": course_id})
    with pytest.raises(RuntimeError, match="end the extra open courses"):
        command.upgrade(alembic_config(url), "head")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM courses WHERE id > :id AND citizen_id = "
                          "(SELECT citizen_id FROM courses WHERE id = :id)"), {"id": course_id})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        keys = conn.execute(text("SELECT key, kind, ref FROM idempotency_keys")).all()
    engine.dispose()
    assert [tuple(k) for k in keys] == [("old-form", "training.new", str(record_id))]
