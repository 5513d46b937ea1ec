"""A real receiver on 127.0.0.1 that verifies Standard Webhooks signatures with the specification's own package,
and answers from a script of status codes (then 200)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from servicecenter.db import unit_of_work, utcnow
from webhooks import service


class Receiver:
    def __init__(self, script: list[tuple[int, dict]] | None = None) -> None:
        self.script = list(script or [])  # (status, headers) per request, then 200
        self.secrets: list[str] = []
        self.requests: list[dict] = []  # every request: its headers and whether a signature verified
        self.accepted: list[str] = []  # the webhook-ids answered 2xx after a valid signature
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                valid = [s for s in receiver.secrets if _verifies(s, body, headers)]
                receiver.requests.append({"headers": headers, "valid": valid, "body": body})
                status, extra = receiver.script.pop(0) if receiver.script else (200, {})
                if status < 300 and valid:
                    receiver.accepted.append(headers["webhook-id"])
                self.send_response(status if valid else 401)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _verifies(secret: str, body: bytes, headers: dict) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


def endpoint(session, admin, url: str, *, events=("ticket.created",), private=True, resolve=None):
    with unit_of_work(session):
        kwargs = {"resolve": resolve} if resolve else {}
        row, secret = service.create_endpoint(session, url=url, description="Test receiver", event_types=list(events),
                                              is_private_allowed=private, actor=admin, now=utcnow(), **kwargs)
    return row, secret


def public_then(address: str):
    """A resolver that answers a public address the first time and `address` after (DNS rebinding)."""
    answers = ["93.184.215.14"]

    def resolve(_host, _port):
        return [answers.pop(0) if answers else address]

    return resolve
