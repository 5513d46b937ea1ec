"""Two processes scan at the same moment: `race` runs rounds of two scans, one in each process, each pair let go
together by a barrier (the worker, `scan_when_told`, runs in a spawned process)."""

from __future__ import annotations


def race(url: str, actor_id: int, rounds: list[tuple[tuple, tuple]]) -> list[list[tuple]]:
    """Each round is two (mode, code, holder id, delay in seconds) scans, run at the same moment (plus the delay) in
    two processes; the two outcomes of each round, sorted: ("ok", code, holder id) or ("refused", code, message)
    or ("error", code, what went wrong)."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    barrier, queues, results = ctx.Barrier(2), [ctx.Queue(), ctx.Queue()], ctx.Queue()
    workers = [ctx.Process(target=scan_when_told, args=(url, actor_id, barrier, q, results)) for q in queues]
    for worker in workers:
        worker.start()
    outcomes = []
    try:
        for pair in rounds:
            for q, task in zip(queues, pair, strict=True):
                q.put(task)
            outcomes.append(sorted([results.get(timeout=60), results.get(timeout=60)]))
    finally:
        for q in queues:
            q.put(None)
        for worker in workers:
            worker.join(timeout=30)
    return outcomes


def scan_when_told(url: str, actor_id: int, barrier, tasks, results) -> None:
    import time

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
            results.put(("ok", code, holder_id))
        except DomainError as error:
            results.put(("refused", code, str(error)))
        except Exception as error:  # noqa: BLE001 - reported to the test as a failure
            results.put(("error", code, repr(error)))
        finally:
            session.close()
    engine.dispose()
