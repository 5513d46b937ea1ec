"""The portal's records: one-time sign-in codes and every attempt, portal sessions at a level of assurance, and
the relatives' access granted by the citizen (proxy access, "fuldmagt")."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.citizens.models import Citizen, ContactPerson
from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum


class Assurance(enum.StrEnum):
    """NSIS levels of assurance (Lav / Betydelig / Høj): a code by SMS is one factor, MitID is Betydelig or more."""

    LOW = "low"
    SUBSTANTIAL = "substantial"


class GrantScope(enum.StrEnum):
    """What a relative with access sees (the citizen chooses)."""

    VISITS = "visits"  # the coming visits: confirm, move, cancel, report a problem
    DEVICES = "devices"  # the visits and the devices in the home
    EVERYTHING = "everything"  # also trainings, contact persons and who looked at the record


class SignInCode(Base):
    """A one-time code sent by SMS to a number registered on a citizen or a relative with access. Only a keyed hash
    of the code is kept; it is used once, expires in minutes, and dies after a few wrong tries."""

    __tablename__ = "portal_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    number_key: Mapped[str] = mapped_column(String(20))  # the phone number, digits only
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    failures: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ix_portal_codes_number_created", "number_key", "created_at"),)


class SignInAttempt(AppendOnly, Base):
    """Every code asked for and every code tried, by number and address: the rate limits and the lock count them,
    and the security review reads them."""

    __tablename__ = "portal_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    number_key: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(45))
    kind: Mapped[str] = mapped_column(String(10))  # "request" (a code asked for) or "verify" (a code tried)
    succeeded: Mapped[bool]
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_portal_attempts_number_kind_at", "number_key", "kind", "at"),
                      Index("ix_portal_attempts_address_kind_at", "address", "kind", "at"))


class ProxyGrant(Base):
    """A relative's access to a citizen's portal, granted by the citizen (or by the helpdesk on her behalf, logged),
    until a date at most a year ahead, renewable, withdrawn at any time. The relative is one of the citizen's
    contact persons (her number signs in with a code) with her own CPR number (her MitID steps up). Exported as a
    FHIR RelatedPerson with the relationship POWATT (power of attorney)."""

    __tablename__ = "proxy_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact_persons.id", ondelete="SET NULL"))
    relative_name: Mapped[str] = mapped_column(String(120))  # as named when granted
    relative_cpr: Mapped[str] = mapped_column(String(10), index=True)
    scope: Mapped[GrantScope] = mapped_column(str_enum(GrantScope))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the citizen herself
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the citizen herself
    withdrawn_reason: Mapped[str | None] = mapped_column(String(200))

    citizen: Mapped[Citizen] = relationship(lazy="joined")
    contact: Mapped[ContactPerson | None] = relationship(lazy="joined")
    granted_by = relationship("User", foreign_keys=[granted_by_id], lazy="joined")
    withdrawn_by = relationship("User", foreign_keys=[withdrawn_by_id], lazy="joined")

    def holds_on(self, day: dt.date) -> bool:
        return self.withdrawn_at is None and self.contact_id is not None and self.valid_from <= day <= self.valid_until


class PortalSession(Base):
    """A signed-in citizen or relative, held on the server (short: idle and absolute limits), at a level of
    assurance. `citizen_id` is whose record it opens; `grant_id` is set when a relative signed in."""

    __tablename__ = "portal_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("proxy_grants.id"))
    assurance: Mapped[Assurance] = mapped_column(str_enum(Assurance, 12))
    number_key: Mapped[str | None] = mapped_column(String(20))  # the number the code went to
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    citizen: Mapped[Citizen] = relationship(lazy="joined")
    grant: Mapped[ProxyGrant | None] = relationship(lazy="joined")
