"""Password hashing with argon2id; the work factors come from configuration (low only in tests)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from servicecenter.errors import N_, DomainError

MIN_LENGTH = 12
MAX_LENGTH = 128

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

