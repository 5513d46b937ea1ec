"""CPR numbers: normalise, validate (python-stdnum: format, real date, century) and mask.

No modulus-11 check: CPR numbers without a valid check digit have been issued since 2007.
"""

from __future__ import annotations

import datetime as dt

from stdnum.dk import cpr as stdnum_cpr
from stdnum.exceptions import ValidationError

from servicecenter.db import local_date, utcnow
from servicecenter.errors import N_, DomainError


def normalise_cpr(value: str) -> str:
    """Ten digits, or a DomainError saying what is wrong (never echoing the number into logs)."""
    number = stdnum_cpr.compact(value or "")
    if not number:
        raise DomainError(N_("Enter a CPR number."), field="cpr")
    if not (number.isascii() and number.isdigit()) or len(number) != 10:
        raise DomainError(N_("A CPR number is 10 digits: DDMMYY-SSSS."), field="cpr")
    try:
        birth = stdnum_cpr.get_birth_date(number)
    except ValidationError:
        raise DomainError(N_("The first six digits are not a real date (DDMMYY)."), field="cpr") from None
    if birth > local_date(utcnow()):  # Copenhagen's date: a child born tonight exists before UTC's midnight
        raise DomainError(N_("The CPR number gives a birth date in the future."), field="cpr")
    return number


def looks_like_cpr(text: str) -> bool:
    """Ten ASCII digits whose first six are a real date (so "45 12 34 56 78", a phone number, is not one)."""
    digits = stdnum_cpr.compact(text)
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return False
    try:
        stdnum_cpr.get_birth_date(digits)
    except ValidationError:
        return False
    return True


def format_cpr(number: str) -> str:
    return f"{number[:6]}-{number[6:]}"


def mask_cpr(number: str) -> str:
    return f"{number[:6]}-XXXX"


def birth_date(number: str) -> dt.date:
    return stdnum_cpr.get_birth_date(number)
