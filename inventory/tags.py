"""Asset tags: a prefix letter, six digits and an ISO 7064 Mod 37,36 check character (python-stdnum).

Only uppercase letters and digits, because keyboard-wedge scanners on Danish layouts garble symbols. The check
character catches a mistyped or misread tag before anything is looked up.
"""

from __future__ import annotations

import re

from stdnum.iso7064 import mod_37_36

from servicecenter.errors import N_, DomainError

PREFIXES = {"D": "device", "K": "kit", "B": "bin", "V": "van", "P": "place"}  # P: a depot or repair vendor by id
TAG_RE = re.compile(r"^[DKBVP][0-9]{6}[0-9A-Z]$")


def make_tag(prefix: str, number: int) -> str:
    if prefix not in PREFIXES or not 0 < number < 1_000_000:
        raise ValueError(f"bad tag prefix or number: {prefix!r} {number}")
    body = f"{prefix}{number:06d}"
    return body + mod_37_36.calc_check_digit(body)


def parse_tag(text: str) -> str:
    """Normalise a scanned or typed tag (spaces dropped, upper case) or refuse it with a reason."""
    tag = re.sub(r"\s", "", text or "").upper()
    if not TAG_RE.match(tag):
        raise DomainError(N_("“%(code)s” is not a tag of ours (a letter, six digits and a check character)."),
                          field="code", code=tag[:20])
    if not mod_37_36.is_valid(tag):
        raise DomainError(N_("“%(code)s” has a wrong check character: misread or mistyped. Scan it again."),
                          field="code", code=tag)
    return tag


def tag_kind(tag: str) -> str:
    return PREFIXES[tag[0]]
