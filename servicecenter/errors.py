"""Domain errors that services raise and the app turns into HTTP responses.

Services do not import flask, so a message is an untranslated msgid (marked with N_) plus parameters;
the web layer translates it with `translate_error` at the moment it is shown.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogues without translating it yet."""
    return message


class Msgid(str):
    """A parameter of an error message that is itself a msgid, translated when the message is shown."""


def translate_message(message: str, params: dict, gettext: Callable[..., str]) -> str:
    """A msgid with parameters in the reader's language; parameters that are msgids are translated too."""
    if not params:
        return gettext(message)
    return gettext(message, **{k: gettext(v) if isinstance(v, Msgid) else v for k, v in params.items()})


class DomainError(Exception):
    """A rule of the domain refused the action; the message is shown to the person who tried it."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, **params: object):
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params

    def translate(self, gettext: Callable[..., str]) -> str:
        """The message in the reader's language; parameters that are msgids themselves are translated too."""
        return translate_message(self.message, self.params, gettext)


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class InvalidTransition(DomainError):
    status_code = 409


class Conflict(DomainError):
    status_code = 409
