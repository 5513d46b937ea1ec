"""Password hashing with argon2id; the work factors come from configuration (low only in tests)."""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from servicecenter.errors import N_, DomainError

MIN_LENGTH = 12
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).with_name("data") / "common-passwords.txt.gz"  # Django's list: see data/README.md

_hasher = PasswordHasher()


def configure(*, time_cost: int, memory_cost: int) -> None:
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Spend the time of a real verification, so an unknown username is not told apart by timing."""
    _hasher.hash(password)


def check_policy(password: str, *, username: str) -> None:
    if len(password) < MIN_LENGTH:
        raise DomainError(N_("The password must be at least %(n)d characters."), field="password", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise DomainError(N_("The password must be at most %(n)d characters."), field="password", n=MAX_LENGTH)
    if username and username.lower() in password.lower():
        raise DomainError(N_("The password must not contain the username."), field="password")

    if is_common(password):
        raise DomainError(N_("This password is on a list of common or breached passwords. Choose another."),
                          field="password")


@functools.cache
def _common() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common(password: str) -> bool:
    """On the shipped list of the 20,000 most common passwords (compared in lower case, as the list is)."""
    return password.lower().strip() in _common()
