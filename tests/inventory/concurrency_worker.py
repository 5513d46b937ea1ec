"""A separate process that loads devices into its van when told, at the same moment as its twin."""

from __future__ import annotations


def load_when_told(url: str, van_id: int, actor_id: int, barrier, tasks, results) -> None:
    from inventory import service
    from inventory.models import Holder
    from servicecenter.auth.models import User
    from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
    from servicecenter.errors import DomainError

    engine = make_engine(url)
    factory = make_session_factory(engine)
    while (tag := tasks.get()) is not None:
        session = factory()
        try:
            van, actor = session.get(Holder, van_id), session.get(User, actor_id)
            barrier.wait(timeout=30)
            with unit_of_work(session):
                service.scan(session, "load", tag, service.Context(actor=actor, now=utcnow(), holder=van))
            results.put(("ok", tag, van_id))
        except DomainError as error:
            results.put(("refused", tag, str(error)))
        except Exception as error:  # noqa: BLE001 - reported to the test as a failure
            results.put(("error", tag, repr(error)))
        finally:
            session.close()
    engine.dispose()


def scan_when_told(url: str, actor_id: int, barrier, tasks, results) -> None:
    import time

    """Runs (mode, code, holder id, delay in seconds) scans when told, each at the same moment as its twin's (plus
    its delay, to decide who takes its first lock first)."""
    from inventory import service
    from inventory.models import Holder
    from servicecenter.auth.models import User
    from servicecenter.db import make_engine, make_session_factory, unit_of_work, utcnow
    from servicecenter.errors import DomainError

    engine = make_engine(url)
    factory = make_session_factory(engine)
    while (task := tasks.get()) is not None:
        mode, code, holder_id, delay = task
        session = factory()
        try:
            actor = session.get(User, actor_id)
            holder = session.get(Holder, holder_id) if holder_id else None
            barrier.wait(timeout=30)
            time.sleep(delay)
            with unit_of_work(session):
                service.scan(session, mode, code, service.Context(actor=actor, now=utcnow(), holder=holder))
            results.put(("ok", mode, code))
        except DomainError as error:
            results.put(("refused", mode, str(error)))
        except Exception as error:  # noqa: BLE001 - reported to the test as a failure
            results.put(("error", mode, repr(error)))
        finally:
            session.close()
    engine.dispose()
