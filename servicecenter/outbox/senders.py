"""The senders behind one small interface: a file sender for development and tests (one JSON file per message),
an HTTP SMS gateway (JSON over HTTPS, the outbox id as idempotency key), and the choice between them from config.

A sender returns the gateway's reference of a sent message, or raises TransientError (try again later) or
PermanentError (it will never go through). Error texts carry no personal data: they end up in the outbox row."""

from __future__ import annotations

import json
import logging
import os
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import Protocol

from servicecenter.outbox.models import MessageChannel
from servicecenter.outbox.service import Outgoing

log = logging.getLogger(__name__)


class TransientError(Exception):
    """Worth trying again: a timeout, a refused connection, a 5xx from the gateway (see PASSING for the 4xx)."""


class PermanentError(Exception):
    """The gateway refused the message itself (a 4xx): sending it again would be refused again."""


class Sender(Protocol):
    def send(self, message: Outgoing) -> str | None: ...


class FileSender:
    """Writes each message as `<outbox id>.json` in a directory (by default `instance/outbox/`), for a developer to
    read and tests to count. Like the gateway it keys on the outbox id: a message sent again is acknowledged without
    a second file, and the repeat is noted (the id only) in `repeats.log`, so a resend is visible."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def send(self, message: Outgoing) -> str | None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.directory / f"{message.id}.json"
        payload = {"id": message.id, "idempotency_key": message.idempotency_key, "channel": message.channel.value,
                   "to": message.recipient, "subject": message.subject, "body": message.body,
                   "attempt": message.attempt}
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            with open(self.directory / "repeats.log", "a", encoding="utf-8") as repeats:
                repeats.write(f"{message.id}\n")
            return f"file-{message.id}"
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(payload, file, ensure_ascii=False, indent=1)
        log.info("outbox message %d (%s) written to %s", message.id, message.channel.value, path.name)
        return f"file-{message.id}"

    def sent(self) -> list[dict]:
        """Every message written, in outbox order."""
        files = sorted(self.directory.glob("*.json"), key=lambda p: int(p.stem)) if self.directory.is_dir() else []
        return [json.loads(p.read_text(encoding="utf-8")) for p in files]

    def repeats(self) -> list[int]:
        path = self.directory / "repeats.log"
        return [int(line) for line in path.read_text(encoding="utf-8").split()] if path.exists() else []


class NoSender:
    """A channel with no sender configured: the message waits (retried) until one is, or gives up."""

    def send(self, message: Outgoing) -> str | None:
        raise TransientError(f"no {message.channel.value} sender configured")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args, **_kwargs):  # a redirected POST is a misconfigured URL, not a delivery
        return None


class HttpSmsGateway:
    """A generic JSON-over-HTTPS SMS gateway:

        POST <url>
        Authorization: Bearer <token>
        Idempotency-Key: outbox-<id>
        Content-Type: application/json
        {"to": "+4512345678", "from": "<sender name>", "text": "...", "reference": "outbox-<id>"}

    2xx: accepted (the reply's "id", if any, is kept); 401, 403, 408, 429, 5xx, a timeout or no connection: try
    again; any other 4xx (a bad number, a text the gateway will not take): refused for good. The gateway
    deduplicates on the idempotency key, so a message resent after a crash (sent, but its outcome not yet committed)
    reaches the phone once."""

    def __init__(self, url: str, token: str, sender_name: str, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise RuntimeError("the SMS gateway's URL must be http(s)")
        self.url, self.token, self.sender_name, self.timeout = url, token, sender_name, timeout
        self.opener = urllib.request.build_opener(_NoRedirect())

    def send(self, message: Outgoing) -> str | None:
        if message.channel != MessageChannel.SMS:
            raise PermanentError(f"not an SMS: {message.channel.value}")
        body = {"to": to_e164(message.recipient), "from": self.sender_name, "text": message.body,
                "reference": message.idempotency_key}
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="POST", headers={  # noqa: S310
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
            "Accept": "application/json", "Idempotency-Key": message.idempotency_key,
            "User-Agent": "servicecenter-outbox/1"})
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return _reference(response.read())
        except urllib.error.HTTPError as error:
            reason = f"HTTP {error.code}{_error_code(error)}"
            if error.code in PASSING or error.code >= 500:
                raise TransientError(reason) from None
            raise PermanentError(reason) from None
        except TimeoutError:
            raise TransientError("timeout") from None
        except urllib.error.URLError as error:
            reason = error.reason
            name = "timeout" if isinstance(reason, TimeoutError) else type(reason).__name__
            raise TransientError(f"no connection ({name})") from None
        except OSError as error:
            raise TransientError(f"no connection ({type(error).__name__})") from None


# Worth trying again: a timeout, too many requests, and a rejected token (an operator fixes it within the hour of
# retries; refusing every message for good because of it would lose them all).
PASSING = frozenset({401, 403, 408, 429})
SAFE_CODE = re.compile(r"^[A-Za-z0-9_.\-]{1,40}$")


def _reference(raw: bytes) -> str | None:
    try:
        ref = json.loads(raw or b"{}").get("id")
    except (ValueError, AttributeError):
        return None
    return str(ref)[:100] if ref is not None else None


def _error_code(error: urllib.error.HTTPError) -> str:
    """The gateway's error code, if it is a plain code: its message may repeat the phone number, so it is left out."""
    try:
        code = json.loads(error.read() or b"{}").get("code")
    except (ValueError, AttributeError, OSError):
        return ""
    return f" {code}" if isinstance(code, str) and SAFE_CODE.match(code) else ""


def to_e164(phone: str) -> str:
    """A Danish number as the gateway wants it: eight digits get +45; 00 becomes +; spaces and dashes go."""
    digits = re.sub(r"[^\d+]", "", phone)
    if digits.startswith("00"):
        return "+" + digits[2:]
    if digits.startswith("+"):
        return digits
    if len(digits) == 10 and digits.startswith("45"):
        return "+" + digits
    return "+45" + digits if len(digits) == 8 else digits


class ChannelSender:
    """One sender per channel."""

    def __init__(self, senders: dict[MessageChannel, Sender]) -> None:
        self.senders = senders

    def send(self, message: Outgoing) -> str | None:
        return self.senders.get(message.channel, NoSender()).send(message)


def make_sender(config: dict) -> ChannelSender:
    """From OUTBOX_SMS_SENDER / OUTBOX_EMAIL_SENDER: "file" (development's default), "http" (SMS: the gateway at
    OUTBOX_SMS_URL) or "none" (production's default until one is chosen: messages wait and are retried)."""
    file_sender = FileSender(config["OUTBOX_FILE_DIR"])
    sms: dict[str, Sender] = {"file": file_sender, "none": NoSender()}
    email: dict[str, Sender] = {"file": file_sender, "none": NoSender()}
    if config["OUTBOX_SMS_SENDER"] == "http":
        sms["http"] = HttpSmsGateway(config["OUTBOX_SMS_URL"], config["OUTBOX_SMS_TOKEN"], config["OUTBOX_SMS_FROM"],
                                     timeout=config["OUTBOX_HTTP_TIMEOUT"])
    try:
        return ChannelSender({MessageChannel.SMS: sms[config["OUTBOX_SMS_SENDER"]],
                              MessageChannel.EMAIL: email[config["OUTBOX_EMAIL_SENDER"]]})
    except KeyError as error:
        raise RuntimeError(f"unknown outbox sender {error.args[0]!r} (SMS: file, http or none; e-mail: file or "
                           "none)") from None
