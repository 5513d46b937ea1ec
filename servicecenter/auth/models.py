"""User, login session and login attempt models."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum
from servicecenter.organisations.models import Organisation


class Role(enum.StrEnum):
    ADMIN = "admin"  # manages users and reference data; no access to citizen records by default
    COORDINATOR = "coordinator"  # follows indicators and reports; sees citizen records, CPR masked
    HELPDESK = "helpdesk"  # answers calls, books visits; full citizen records including access notes
    TECHNICIAN = "technician"  # field work; sees addresses and access notes for the visits he drives
    WAREHOUSE = "warehouse"  # stock, labels, cleaning; no citizen records
    NURSE = "nurse"  # refers citizens; sees citizens of her own organisation or whom she referred


class UserStatus(enum.StrEnum):
    ACTIVE = "active"  # may log in
    DISABLED = "disabled"  # may not log in; every live session was ended when disabled


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)  # stored lower-case
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[UserStatus] = mapped_column(str_enum(UserStatus), default=UserStatus.ACTIVE)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    # Flask-Login protocol; the login session itself is checked against the user_sessions table.
    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    def __str__(self) -> str:
        return self.full_name


class UserSession(Base):
    """A login session, held on the server so logout, disabling and inactivity really end it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    end_reason: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_user_sessions_open", "ended_at", "last_seen_at"),)


class LoginAttempt(AppendOnly, Base):
    """Every login attempt; failures in a window throttle further attempts across all worker processes."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60))
    ip_address: Mapped[str] = mapped_column(String(45))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool]

    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip_address", "at"),
    )
