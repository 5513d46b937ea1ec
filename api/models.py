"""API tokens: one per integration, with its scopes and (for a municipality's or a hospital's system) the
organisation whose citizens it may see. The token itself is shown once; only its SHA-256 is kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import Base, UTCDateTime
from servicecenter.organisations.models import Organisation


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))  # the integration, e.g. "Aarhus Kommune - omsorgssystem"
    prefix: Mapped[str] = mapped_column(String(12))  # the token's first characters: recognisable in a list
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the whole token
    scopes: Mapped[list] = mapped_column(JSON)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))  # None: the service centre
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_used_address: Mapped[str | None] = mapped_column(String(45))

    organisation: Mapped[Organisation | None] = relationship()


class ApiUsage(Base):
    """Calls per token per minute: the rate limit counts here, so every app process counts the same calls. Old
    windows are deleted as the token's next window opens."""

    __tablename__ = "api_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (Index("ux_api_usage_token_window", "token_id", "window_start", unique=True),)
