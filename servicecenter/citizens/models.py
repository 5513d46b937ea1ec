"""Citizen and ContactPerson models."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum
from servicecenter.organisations.models import Organisation


def _prefix_index(name: str, column: str) -> Index:
    """A B-tree index that serves `LIKE 'abc%'` on both SQLite (case_sensitive_like) and PostgreSQL."""
    return Index(name, column, postgresql_ops={column: "text_pattern_ops"})


class Citizen(Base):
    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    cpr: Mapped[str] = mapped_column(String(10), unique=True)  # ten digits, normalised
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(4))
    city: Mapped[str] = mapped_column(String(100))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    phone: Mapped[str | None] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(40), default="da")
    special_needs: Mapped[str | None] = mapped_column(Text)
    access_notes: Mapped[str | None] = mapped_column(Text)  # key box, door code: helpdesk; technician on the day
    # The organisation that referred or leads the citizen (a GP clinic, hospital or municipality).
    responsible_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)

    # Search keys, kept in step by the service: lower-case names and address, digits-only phones.
    first_name_key: Mapped[str] = mapped_column(String(100))
    last_name_key: Mapped[str] = mapped_column(String(100))
    address_key: Mapped[str] = mapped_column(String(200))
    phone_key: Mapped[str | None] = mapped_column(String(20))
    mobile_key: Mapped[str | None] = mapped_column(String(20))

    municipality: Mapped[Organisation] = relationship(foreign_keys=[municipality_id], lazy="joined")
    responsible_organisation: Mapped[Organisation | None] = relationship(
        foreign_keys=[responsible_organisation_id], lazy="joined"
    )
    contacts: Mapped[list[ContactPerson]] = relationship(
        back_populates="citizen", order_by="ContactPerson.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        _prefix_index("ix_citizens_first_name_key", "first_name_key"),
        _prefix_index("ix_citizens_last_name_key", "last_name_key"),
        _prefix_index("ix_citizens_address_key", "address_key"),
        _prefix_index("ix_citizens_phone_key", "phone_key"),
        _prefix_index("ix_citizens_mobile_key", "mobile_key"),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ContactKind(enum.StrEnum):
    RELATIVE = "relative"
    HOME_CARE = "home_care"
    GP = "gp"
    OTHER = "other"


class ContactPerson(Base):
    __tablename__ = "contact_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ContactKind] = mapped_column(str_enum(ContactKind))
    name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_key: Mapped[str | None] = mapped_column(String(20))  # digits only: a relative's call finds the citizen
    may_contact: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    citizen: Mapped[Citizen] = relationship(back_populates="contacts")

    __table_args__ = (Index("ix_contact_persons_phone_key", "phone_key"),)


class CitizenMunicipality(AppendOnly, Base):
    """Which municipality a citizen lived in from when: a row whenever it is set or changes, in the same transaction
    (the indicators count a citizen who moved mid-course where she lived at the moment they ask about)."""

    __tablename__ = "citizen_municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_citizen_municipalities_citizen_since", "citizen_id", "since"),)


class GlassBreak(Base):
    """A technician who helps a colleague "breaks the glass": he sees one citizen outside his own visits, with a
    reason, until the end of that day. Shown to the coordinators (and in the citizen's access log)."""

    __tablename__ = "glass_breaks"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    until: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    user = relationship("User", lazy="joined")
    citizen: Mapped[Citizen] = relationship(lazy="joined")

    __table_args__ = (Index("ix_glass_breaks_user_until", "user_id", "until"),)
