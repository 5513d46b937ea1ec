"""The HTTP SMS gateway's contract, against a real HTTP server on 127.0.0.1: the exact request (method, path,
headers with the token and the idempotency key, JSON body), and what each answer means for the message."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from servicecenter.db import unit_of_work
from servicecenter.outbox.delivery import deliver_due
from servicecenter.outbox.models import MessageChannel, MessageStatus, OutboxMessage
from servicecenter.outbox.senders import HttpSmsGateway, PermanentError, TransientError, make_sender
from servicecenter.outbox.service import Outgoing
from tests.conftest import make_test_app
from tests.outbox.helpers import POLICY, Clock, enqueue_many

TOKEN = "gw-secret-token"


class Gateway:
    """A scripted gateway: each request is recorded, and answered with the next (status, body, delay) given."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.answers: list[tuple[int, dict, float]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {name.lower(): value for name, value in self.headers.items()}
                gateway.requests.append({"method": self.command, "path": self.path, "headers": headers,
                                         "body": json.loads(body)})
                status, answer, delay = gateway.answers.pop(0) if gateway.answers else (202, {"id": "gw-1"}, 0)
                time.sleep(delay)
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, status: int, body: dict | None = None, delay: float = 0) -> None:
        self.answers.append((status, body or {}, delay))


@pytest.fixture
def gateway():
    gateway = Gateway()
    gateway.thread.start()
    yield gateway
    gateway.server.shutdown()
    gateway.server.server_close()


def _sms(message_id: int = 7, recipient: str = "20 12 34 56") -> Outgoing:
    return Outgoing(id=message_id, channel=MessageChannel.SMS, recipient=recipient, subject=None,
                    body="Vi ringer i morgen.\n\n– Fælles Servicecenter", attempt=1)


def test_a_message_is_posted_as_json_with_the_token_and_the_outbox_id_as_idempotency_key(gateway):
    gateway.answer(202, {"id": "msg-981", "status": "accepted"})
    sender = HttpSmsGateway(gateway.url, TOKEN, "Servicectr", timeout=5)
    assert sender.send(_sms()) == "msg-981"
    [request] = gateway.requests
    assert (request["method"], request["path"]) == ("POST", "/v1/messages")
    headers = request["headers"]
    assert headers["authorization"] == f"Bearer {TOKEN}"  # header names are case-insensitive (RFC 9110)
    assert headers["idempotency-key"] == "outbox-7"
    assert headers["content-type"] == "application/json" and headers["accept"] == "application/json"
    assert request["body"] == {"to": "+4520123456", "from": "Servicectr",
                               "text": "Vi ringer i morgen.\n\n– Fælles Servicecenter", "reference": "outbox-7"}


@pytest.mark.parametrize(("status", "error", "permanent"), [
    (400, "HTTP 400 invalid_number", True), (404, "HTTP 404 invalid_number", True),
    (422, "HTTP 422 invalid_number", True), (401, "HTTP 401 invalid_number", False),
    (403, "HTTP 403 invalid_number", False), (408, "HTTP 408 invalid_number", False),
    (429, "HTTP 429 invalid_number", False), (500, "HTTP 500 invalid_number", False),
    (503, "HTTP 503 invalid_number", False),
])
def test_each_answer_is_permanent_or_passing_and_never_repeats_the_number(gateway, status, error, permanent):
    gateway.answer(status, {"code": "invalid_number", "message": "+4520123456 is not a mobile number"})
    sender = HttpSmsGateway(gateway.url, TOKEN, "Servicectr", timeout=5)
    with pytest.raises(PermanentError if permanent else TransientError) as raised:
        sender.send(_sms())
    assert str(raised.value) == error  # the code only: the gateway's message repeats the number


def test_a_gateway_that_does_not_answer_in_time_is_a_passing_failure(gateway):
    gateway.answer(202, {"id": "late"}, delay=1.5)
    with pytest.raises(TransientError, match="timeout"):
        HttpSmsGateway(gateway.url, TOKEN, "Servicectr", timeout=0.3).send(_sms())


def test_no_gateway_listening_is_a_passing_failure(gateway):
    url = gateway.url
    gateway.server.shutdown()
    gateway.server.server_close()
    with pytest.raises(TransientError, match="no connection"):
        HttpSmsGateway(url, TOKEN, "Servicectr", timeout=2).send(_sms())


@pytest.fixture
def gateway_app(sqlite_url, gateway):
    app = make_test_app(sqlite_url, OUTBOX_SMS_SENDER="http", OUTBOX_SMS_URL=gateway.url, OUTBOX_SMS_TOKEN=TOKEN,
                        OUTBOX_HTTP_TIMEOUT=0.5)
    yield app
    app.extensions["database"].engine.dispose()


def test_through_the_outbox_5xx_and_timeouts_are_retried_and_4xx_is_dead(gateway_app, gateway):
    """Given three messages, when the gateway answers 503, times out and refuses one with 400, then the first two
    are retried later under the same idempotency keys and sent; the refused one is dead, and not tried again."""
    factory = gateway_app.extensions["database"].factory
    session = factory()
    clock = Clock()
    ids = enqueue_many(session, 3, now=clock())
    sender = make_sender(gateway_app.config)
    gateway.answer(503, {"code": "unavailable"})
    gateway.answer(202, {"id": "slow"}, delay=1.5)
    gateway.answer(400, {"code": "invalid_number"})
    assert deliver_due(factory, sender, policy=POLICY, clock=clock) == {"failed": 2, "dead": 1}
    clock.advance(hours=1)
    gateway.answer(202, {"id": "gw-a"})
    gateway.answer(202, {"id": "gw-b"})
    assert deliver_due(factory, sender, policy=POLICY, clock=clock) == {"sent": 2}
    clock.advance(days=1)
    assert deliver_due(factory, sender, policy=POLICY, clock=clock) == {}

    keys = [r["headers"]["idempotency-key"] for r in gateway.requests]
    assert keys[:3] == [f"outbox-{i}" for i in ids]
    assert sorted(keys[3:]) == sorted([f"outbox-{ids[0]}", f"outbox-{ids[1]}"])  # retried in backoff order
    with unit_of_work(session):
        rows = {m.id: m for m in session.scalars(select(OutboxMessage))}
    assert [(rows[i].status, rows[i].attempts) for i in ids] == [
        (MessageStatus.SENT, 2), (MessageStatus.SENT, 2), (MessageStatus.DEAD, 1)]
    assert {rows[ids[0]].provider_ref, rows[ids[1]].provider_ref} == {"gw-a", "gw-b"}
    assert rows[ids[2]].last_error == "HTTP 400 invalid_number"
    session.close()


def test_the_http_sender_needs_a_url_and_a_token_and_https_in_production(sqlite_url):
    with pytest.raises(RuntimeError, match="OUTBOX_SMS_URL and OUTBOX_SMS_TOKEN"):
        make_test_app(sqlite_url, OUTBOX_SMS_SENDER="http")
    with pytest.raises(RuntimeError, match="https"):
        make_test_app(sqlite_url, OUTBOX_SMS_SENDER="http", OUTBOX_SMS_URL="http://gw.example.dk/v1/messages",
                      OUTBOX_SMS_TOKEN=TOKEN, SC_ENV="production", PUBLIC_BASE_URL="https://service.example.dk")
