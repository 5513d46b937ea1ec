"""Sending webhooks: each attempt resolves the receiver's host, checks the address (SSRF) and connects to that very
address (the Host header and TLS name stay the receiver's), signs with the endpoint's secrets, follows no
redirect (a 3xx is a failure) and reads Retry-After. The loop is the outbox's (`run_batches`)."""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.orm import Session, sessionmaker

from servicecenter.db import utcnow
from servicecenter.outbox.delivery import run_batches
from webhooks import signing, ssrf
from webhooks.service import POLICY, Delivery, Result, claim_due, record_result

log = logging.getLogger(__name__)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_AFTER_CAP = dt.timedelta(days=2)  # a bigger number is read as this much (the policy caps it further)


def deliver_due(factory: sessionmaker[Session], *, clock: Callable[[], dt.datetime] = utcnow,
                resolve: ssrf.Resolver = ssrf.system_resolver, per_run: int = POLICY.per_run) -> Counter:
    """Send what is due; returns the statuses recorded, counted."""
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=TIMEOUT) as client:
        return run_batches(
            factory, per_run=per_run, claim=lambda session: claim_due(session, now=clock()),
            send=lambda delivery: send(client, delivery, resolve=resolve),
            record=lambda session, delivery, result: record_result(session, delivery, result, now=clock()))


def send(client: httpx.Client, delivery: Delivery, *, resolve: ssrf.Resolver) -> Result:
    """One attempt. The log names the message by id and the error by kind, never the body."""
    started = time.monotonic()
    try:
        _scheme, host, port = ssrf.parse(delivery.to.url, is_private_allowed=delivery.to.is_private_allowed)
        address = ssrf.checked_address(host, port, is_private_allowed=delivery.to.is_private_allowed, resolve=resolve)
        response = _post_pinned(client, delivery, host, address)
    except ssrf.TargetRefused as refused:
        result = Result(None, error=f"refused: {refused.message}"[:200])
    except httpx.HTTPError as error:
        result = Result(None, error=f"{type(error).__name__}", duration_ms=_ms(started))
    except Exception as error:  # noqa: BLE001 - one receiver's oddity must not stop the batch (the others' messages)
        log.exception("webhook message %d: sender error", delivery.id)
        result = Result(None, error=f"sender error ({type(error).__name__})", duration_ms=_ms(started))
    else:
        result = Result(response.status_code, duration_ms=_ms(started),
                        error=None if response.is_success else f"HTTP {response.status_code}",
                        retry_after=retry_after(response.headers.get("retry-after"), utcnow()))
    if not result.is_success:
        log.warning("webhook message %d attempt %d failed: %s", delivery.id, delivery.attempt, result.error)
    return result


def _post_pinned(client: httpx.Client, delivery: Delivery, host: str, address: str) -> httpx.Response:
    """POST to the checked address itself: the name is not resolved a second time (DNS rebinding)."""
    parts = urlsplit(delivery.to.url)
    literal = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(parts._replace(netloc=literal + (f":{parts.port}" if parts.port else "")))
    headers = signing.headers(list(delivery.to.secrets), delivery.msg_id, utcnow(), delivery.body)
    name = f"[{host}]" if ":" in host else host.encode("idna").decode("ascii")  # an IPv6 literal, or a name
    headers["host"] = name + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return client.post(pinned, content=delivery.body.encode(), headers=headers, extensions=extensions)


def retry_after(value: str | None, now: dt.datetime) -> dt.timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" is a digit to str.isdigit and no number to int()
        return dt.timedelta(seconds=min(int(value), int(RETRY_AFTER_CAP.total_seconds())))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when - now, dt.timedelta(0)) if when.tzinfo else None


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
