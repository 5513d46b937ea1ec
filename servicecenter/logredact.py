"""A log formatter that blanks anything shaped like a CPR number, as a last line of defence: database servers put
row values in their error messages, and tracebacks carry those messages into the log."""

from __future__ import annotations

import logging
import re

CPR_LIKE = re.compile(r"(?<!\d)(\d{6})-?\d{4}(?!\d)")
# A citizen's confirmation link (/dispatch/c/<token>) is a bearer credential: whoever reads it from a log (the
# access log's path or Referer) could confirm or move the visit.
CONFIRM_TOKEN = re.compile(r"(/c/)[^\s/?#\"']+")
# A FHIR search's query string may hold an identifier (a serial number, a patient's id): blanked whole.
FHIR_QUERY = re.compile(r"(/fhir/[^\s?#\"']*\?)[^\s#\"']*")


def redact(text: str) -> str:
    return FHIR_QUERY.sub(r"\1[query]", CONFIRM_TOKEN.sub(r"\1[token]", CPR_LIKE.sub(r"\1-XXXX", text)))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def install(level: int = logging.INFO) -> None:
    """Log to stderr through the redacting formatter (once per process)."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, RedactingFormatter) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
