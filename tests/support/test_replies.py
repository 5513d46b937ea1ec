"""The helpdesk's public replies reach the person who asked, through the outbox in the reply's own transaction,
and the ticket page shows per reply how it went (sent, retrying, not sent and why), in Danish and English."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from servicecenter.courses.models import EndReason
from servicecenter.courses.service import end_course, get_course
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from servicecenter.outbox.delivery import deliver_due
from servicecenter.outbox.models import MessageStatus, OutboxMessage
from servicecenter.outbox.senders import FileSender
from servicecenter.outbox.service import Policy
from support.models import EventKind, RequesterKind
from support.service import replies, tickets
from tests.outbox.helpers import Clock, Flaky
from tests.support.helpers import SupportWorld


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


def _reply(world, ticket, body="Vi sender en ny tablet i morgen.", *, public=True):
    with unit_of_work(world.s):
        tickets.add_message(world.s, tickets.lock_ticket(world.s, ticket.id), body, public=public,
                            actor=world.helpdesk, now=utcnow())
    return [e for e in world.events(ticket.id) if e.kind in (EventKind.REPLY, EventKind.NOTE)][-1]


def _messages(session) -> list[OutboxMessage]:
    session.rollback()
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_a_public_reply_to_the_citizen_is_queued_as_an_sms_to_her_mobile(world, session):
    citizen = world.citizen_near(1, phone="86123456", mobile="20 30 40 50")
    ticket = world.ticket(citizen_id=citizen.id)
    event = _reply(world, ticket)
    [message] = _messages(session)
    assert (message.channel, message.recipient, message.purpose) == ("sms", "20 30 40 50", "ticket.reply")
    assert message.key == f"ticket.reply:{event.id}" and message.status == MessageStatus.QUEUED
    assert message.body == f"Vi sender en ny tablet i morgen.\n\n- Fælles Servicecenter, sag #{ticket.id}. " \
                           "Du kan ikke svare på denne SMS."
    assert event.data == {"recipient": "citizen", "channel": "sms"}


def test_a_citizen_who_reads_english_gets_the_signature_in_english(world, session):
    citizen = world.citizen_near(1, mobile="20304050", language="en")
    _reply(world, world.ticket(citizen_id=citizen.id))
    [message] = _messages(session)
    assert message.body.endswith("This text cannot be answered.")


def test_a_relative_who_called_is_answered_at_the_number_the_call_came_from(world, session):
    citizen = world.citizen_near(1, mobile="20304050")
    ticket = world.ticket(citizen_id=citizen.id, requester_kind=RequesterKind.RELATIVE, requester_name="Datter",
                          requester_phone="+45 41 42 43 44")
    event = _reply(world, ticket)
    [message] = _messages(session)
    assert message.recipient == "+45 41 42 43 44" and event.data["recipient"] == "caller"


def test_no_number_no_message_and_the_reply_says_so(world, session):
    citizen = world.citizen_near(1, phone=None)
    event = _reply(world, world.ticket(citizen_id=citizen.id))
    assert _messages(session) == [] and event.data == {"not_sent": "no_phone"}


def test_a_reply_too_long_for_a_text_message_is_saved_and_not_sent(world, session):
    citizen = world.citizen_near(1, mobile="20304050")
    event = _reply(world, world.ticket(citizen_id=citizen.id), "Lang forklaring. " * 100)
    assert _messages(session) == [] and event.data == {"not_sent": "too_long", "recipient": "citizen"}


def _deceased(world, citizen) -> None:
    """Her course ended because she died: it is marked sensitive."""
    course = world.course_for(citizen)
    with unit_of_work(world.s):
        end_course(world.s, get_course(world.s, course.id), reason=EndReason.DECEASED, exclusion_reason=None,
                   actor=world.coordinator, now=utcnow())


def test_a_deceased_citizen_is_not_texted_and_the_reply_says_why(world, session, client):
    citizen = world.citizen_near(1, mobile="20304050")
    _deceased(world, citizen)
    ticket = world.ticket(citizen_id=citizen.id)
    event = _reply(world, ticket)
    assert _messages(session) == [] and event.data == {"not_sent": "deceased"}
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert "Not sent: the citizen has died" in page and "A reply is not sent: the citizen has died" in page


def test_for_a_deceased_citizen_only_a_relative_calling_from_another_number_is_answered(world, session):
    citizen = world.citizen_near(1, phone="86123456", mobile="20304050")
    _deceased(world, citizen)
    relative = world.ticket(citizen_id=citizen.id, requester_kind=RequesterKind.RELATIVE, requester_name="Søn",
                            requester_phone="41 42 43 44")
    from_her_phone = world.ticket(citizen_id=citizen.id, requester_kind=RequesterKind.RELATIVE,
                                  requester_name="Datter", requester_phone="+45 20 30 40 50")
    answered, unanswered = _reply(world, relative), _reply(world, from_her_phone)
    [message] = _messages(session)
    assert message.recipient == "41 42 43 44" and answered.data["recipient"] == "caller"
    assert unanswered.data == {"not_sent": "deceased"}


def test_an_internal_note_is_never_sent(world, session):
    citizen = world.citizen_near(1, mobile="20304050")
    event = _reply(world, world.ticket(citizen_id=citizen.id), "Kun til os", public=False)
    assert _messages(session) == [] and event.kind == EventKind.NOTE and event.data is None


def test_a_reply_whose_transaction_fails_sends_nothing(world, session):
    citizen = world.citizen_near(1, mobile="20304050")
    ticket = world.ticket(citizen_id=citizen.id)
    with pytest.raises(DomainError), unit_of_work(session):
        tickets.add_message(session, tickets.lock_ticket(session, ticket.id), "Vi ringer", public=True,
                            actor=world.helpdesk, now=utcnow())
        raise DomainError("something after the reply refused")
    assert _messages(session) == []
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- the ticket page -----------------------------------------------------------------------------------------


POLICY = Policy(max_attempts=3)


@pytest.mark.parametrize(("language", "texts"), [
    ("en", ("Not sent: no phone number", "Waiting to be sent by SMS to the citizen",
            "Sending by SMS to the citizen failed (HTTP 503); retrying at", "Sent by SMS to the citizen at")),
    ("da", ("Ikke sendt: intet telefonnummer", "Venter på at blive sendt som SMS til borgeren",
            "Afsendelse som SMS til borgeren mislykkedes (HTTP 503); prøver igen", "Sendt som SMS til borgeren")),
])
def test_the_ticket_page_shows_per_reply_what_was_sent_and_how(world, client, session, app, tmp_path, language,
                                                              texts):
    no_phone, waiting, retrying, sent = texts
    client.login(world.helpdesk.username)
    client.post("/language", data={"lang": language})
    without = world.ticket(citizen_id=world.citizen_near(1, phone=None).id)
    client.post(f"/support/tickets/{without.id}/reply", data={"reply-body": "Ring til os", "reply-kind": "reply"})
    assert no_phone in client.get(f"/support/tickets/{without.id}").get_data(as_text=True)

    ticket = world.ticket(citizen_id=world.citizen_near(2, mobile="20304050").id)
    client.post(f"/support/tickets/{ticket.id}/reply", data={"reply-body": "Vi kommer i morgen", "reply-kind": "reply"})
    page = client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert waiting in page and 'data-delivery="waiting"' in page

    sender, clock, factory = Flaky(FileSender(tmp_path / "sent")), Clock(), app.extensions["database"].factory
    sender.mode = "fail"
    deliver_due(factory, sender, policy=POLICY, clock=clock)
    page = client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert retrying in page and 'data-delivery="retrying"' in page

    sender.mode = "ok"
    clock.advance(hours=1)
    deliver_due(factory, sender, policy=POLICY, clock=clock)
    page = client.get(f"/support/tickets/{ticket.id}").get_data(as_text=True)
    assert sent in page and 'data-delivery="sent"' in page
    assert [m["body"].split("\n")[0] for m in FileSender(tmp_path / "sent").sent()] == ["Vi kommer i morgen"]


def test_the_reply_keys_tie_each_message_to_its_reply(world, session):
    citizen = world.citizen_near(1, mobile="20304050")
    ticket = world.ticket(citizen_id=citizen.id)
    first, second = _reply(world, ticket, "Første"), _reply(world, ticket, "Anden")
    found = replies.deliveries(session, world.events(ticket.id))
    assert [found[first.id].message.body.split("\n")[0], found[second.id].message.body.split("\n")[0]] == \
           ["Første", "Anden"]
