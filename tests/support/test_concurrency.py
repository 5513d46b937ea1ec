"""Two agents acting on the same thing at the same moment, in two threads with their own sessions, on both
databases: exactly one takes the ticket; round-robin gives two tickets created at once to two people."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import select

from servicecenter.auth.models import User
from servicecenter.db import unit_of_work, utcnow
from servicecenter.errors import DomainError
from support.models import Category, Ticket
from support.service import tickets
from tests.support.helpers import SupportWorld


@pytest.fixture
def world(session, factory):
    return SupportWorld(session, factory)


def _at_once(app, session, work) -> list[str]:
    """Run work(session, index) in two threads released together; returns "ok" or "refused" per thread."""
    factory = app.extensions["database"].factory
    barrier, outcomes = threading.Barrier(2, timeout=20), []
    session.rollback()  # the test's own session holds no snapshot or lock meanwhile

    def run(index):
        s = factory()
        try:
            barrier.wait()
            with unit_of_work(s):
                work(s, index)
            outcomes.append("ok")
        except DomainError:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - shown in the assertion
            outcomes.append(repr(error))
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(outcomes)


def test_two_agents_take_the_same_ticket_at_once_one_wins(world, app, session):
    ticket_id = world.ticket().id  # plain ids: the test's objects expire and must not load from two threads
    agents = [world.agents[0].id, world.agents[1].id]

    def take(s, index):
        actor = s.get(User, agents[index])
        tickets.assign(s, tickets.lock_ticket(s, ticket_id), actor.id, actor=actor, now=utcnow(), expected=None)

    assert _at_once(app, session, take) == ["ok", "refused"]
    session.rollback()
    assert session.get(Ticket, ticket_id).assignee_id in agents
    assigned = [e for e in world.events(ticket_id) if e.kind == "assigned"]
    assert len(assigned) == 1


def test_two_tickets_created_at_once_go_to_two_agents(world, app, session):
    group_id = world.group(round_robin=True).id
    creator = world.helpdesk.id

    def create(s, _index):
        tickets.create_ticket(s, tickets.TicketData(subject="Samtidig", category=Category.HOW_TO, group_id=group_id),
                              actor=s.get(User, creator), now=utcnow())

    assert _at_once(app, session, create) == ["ok", "ok"]
    session.rollback()
    counts = Counter(session.scalars(select(Ticket.assignee_id)))
    assert len(counts) == 2 and set(counts.values()) == {1}
