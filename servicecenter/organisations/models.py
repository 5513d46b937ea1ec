"""Organisation and Cluster models."""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from servicecenter.db import Base, str_enum


class OrganisationKind(enum.StrEnum):
    REGION = "region"
    MUNICIPALITY = "municipality"
    HOSPITAL = "hospital"
    GP_CLINIC = "gp_clinic"
    CONTRACTOR = "contractor"


class Cluster(Base):
    """A hospital cluster (klynge): a hospital and the municipalities it works with."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(str_enum(OrganisationKind))
    # Municipality code (kommunekode), SOR code or CVR number: unique within a kind.
    code: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(160), index=True)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("clusters.id"))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    is_active: Mapped[bool] = mapped_column(default=True)

    cluster: Mapped[Cluster | None] = relationship()

    def __str__(self) -> str:
        return self.name
