"""Standard Webhooks 1.0 signatures (by the specification's own Python package): HMAC-SHA256 over
`id.timestamp.body` with a `whsec_` base64 secret, sent as `v1,<base64>`; during a rotation one per valid secret,
space-separated (a receiver accepts any one)."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(secrets_: list[str], msg_id: str, at: dt.datetime, body: str) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": " ".join(Webhook(s).sign(msg_id, at, body) for s in secrets_),
            "content-type": "application/json"}
