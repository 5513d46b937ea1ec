"""Inventory models: device models and kit templates, holders, devices, SIM cards, kits, the movement ledger,
custody intervals, cleaning/test sign-offs, stock minimums and supplier import batches."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from servicecenter.db import AppendOnly, Base, UTCDateTime, str_enum
from servicecenter.organisations.models import Organisation


class DeviceCategory(enum.StrEnum):
    TABLET = "tablet"
    PULSE_OXIMETER = "pulse_oximeter"
    BLOOD_PRESSURE = "blood_pressure"
    SCALE = "scale"
    SPIROMETER = "spirometer"
    THERMOMETER = "thermometer"
    OTHER = "other"


class DeviceModel(Base):
    __tablename__ = "device_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[DeviceCategory] = mapped_column(str_enum(DeviceCategory))
    manufacturer: Mapped[str] = mapped_column(String(80))
    model_number: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    cleaning_procedure: Mapped[str | None] = mapped_column(Text)
    service_interval_days: Mapped[int | None]
    # What one device of the model costs (DKK, excl. VAT) where known: the equipment comparison shows it beside the
    # figures and prices the devices lost.
    unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    def __str__(self) -> str:
        return f"{self.manufacturer} {self.name}"


class KitTemplate(Base):
    """What a citizen on a programme gets, e.g. COPD: tablet + pulse oximeter + scale."""

    __tablename__ = "kit_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    items: Mapped[list[KitTemplateItem]] = relationship(order_by="KitTemplateItem.id", lazy="selectin",
                                                        cascade="all, delete-orphan")


class KitTemplateItem(Base):
    __tablename__ = "kit_template_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id"), index=True)
    category: Mapped[DeviceCategory] = mapped_column(str_enum(DeviceCategory))
    quantity: Mapped[int] = mapped_column(default=1)


class HolderKind(enum.StrEnum):
    DEPOT = "depot"
    BIN = "bin"  # a shelf or box inside a depot
    VAN = "van"
    COURSE = "course"  # a citizen's home, for one course
    CLEANING = "cleaning"
    REPAIR = "repair"  # a repair vendor
    LOST = "lost"
    SCRAPPED = "scrapped"


class Holder(Base):
    """Anywhere a device can be: who or what holds it."""

    __tablename__ = "holders"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[HolderKind] = mapped_column(str_enum(HolderKind))
    name: Mapped[str] = mapped_column(String(120))
    tag: Mapped[str | None] = mapped_column(String(12), unique=True)  # bins and vans carry a label
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))  # bins, cleaning: their depot
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)  # with course_id
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # a van's technician
    is_active: Mapped[bool] = mapped_column(default=True)
    latitude: Mapped[float | None]  # a depot's location: where routes start and end
    longitude: Mapped[float | None]

    # The places of a kind (depots, vans): a few dozen among 100,000 homes at national scale (the scan page's list).
    __table_args__ = (Index("ix_holders_kind_name", "kind", "name"),)

    def __str__(self) -> str:
        return self.name


class DeviceStatus(enum.StrEnum):
    RECEIVED = "received"  # delivered by the supplier, not yet accepted into stock
    READY = "ready"  # clean, tested, on the shelf
    RESERVED = "reserved"  # ready and set aside for a course
    IN_VAN = "in_van"  # ready, loaded for delivery
    AT_CITIZEN = "at_citizen"  # in a citizen's home
    RETURNED = "returned"  # collected, not yet cleaned: never to another citizen like this
    CLEANING = "cleaning"  # being cleaned/disinfected
    TESTING = "testing"  # cleaned; function test and factory reset pending
    FAULTY = "faulty"  # reported not working
    REPAIR = "repair"  # at a repair vendor
    LOST = "lost"  # cannot be found
    SCRAPPED = "scrapped"  # gone for good


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(12), unique=True)
    serial: Mapped[str] = mapped_column(String(60))
    model_id: Mapped[int] = mapped_column(ForeignKey("device_models.id"))
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    firmware_version: Mapped[str | None] = mapped_column(String(40))
    purchased_on: Mapped[dt.date | None] = mapped_column(Date)
    warranty_until: Mapped[dt.date | None] = mapped_column(Date)
    calibration_due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[DeviceStatus] = mapped_column(str_enum(DeviceStatus))
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kits.id"), index=True)
    # The home (course holder) the device is reserved for, from the reservation until it is handed over there or
    # the reservation is released: a reserved device goes into no other home.
    reserved_for_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_moved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # the newest movement's occurred_at
    version: Mapped[int] = mapped_column(default=1)

    model: Mapped[DeviceModel] = relationship(lazy="joined")
    holder: Mapped[Holder] = relationship(lazy="joined", foreign_keys=[holder_id])
    owner: Mapped[Organisation] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("model_id", "serial", name="uq_devices_model_serial"),
        Index("ix_devices_holder_status", "holder_id", "status"),
        # The warehouse start page: devices waiting at each step, and the ready kits (index-only, in kit order).
        Index("ix_devices_status", "status", "kit_id", "holder_id", "model_id"),
        Index("ix_devices_model_firmware", "model_id", "firmware_version"),
        Index("ix_devices_serial", "serial"),  # found by serial alone (the REST API, FHIR's Device?identifier=)
    )


class SimState(enum.StrEnum):
    ACTIVE = "active"  # the subscription runs
    SUSPENDED = "suspended"  # paused at the operator while the tablet is in stock (no cost, no traffic)
    TERMINATED = "terminated"  # cancelled for good


class SimCard(Base):
    __tablename__ = "sim_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    iccid: Mapped[str] = mapped_column(String(22), unique=True)
    phone_number: Mapped[str | None] = mapped_column(String(20))
    operator: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[SimState] = mapped_column(str_enum(SimState), default=SimState.ACTIVE)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), unique=True)  # the paired tablet

    device: Mapped[Device | None] = relationship()
    # The state machine's helper (servicecenter.statuses.transition) reads and writes `status`.
    status = synonym("state")


class SimPairing(Base):
    """Which tablet a SIM card sat in, and when: the pairing history."""

    __tablename__ = "sim_pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    sim_id: Mapped[int] = mapped_column(ForeignKey("sim_cards.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    paired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    unpaired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Kit(Base):
    """A physical box with its own tag; its members travel together."""

    __tablename__ = "kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    tag: Mapped[str] = mapped_column(String(12), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("kit_templates.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Derived, never typed in: the depot whose shelf the kit stands ready on (complete, every member ready there),
    # else NULL; kept by inventory.service.readiness with every move, pack and unpack, checked by `inventory verify`.
    ready_at_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))

    template: Mapped[KitTemplate] = relationship(lazy="joined")
    members: Mapped[list[Device]] = relationship(foreign_keys=[Device.kit_id], order_by=Device.id)

    __table_args__ = (Index("ix_kits_ready_at", "ready_at_id", "template_id"),)  # the stock count: ready kits only


class KitMembership(Base):
    """Membership history: a swapped-out device keeps its time in the kit, the new one starts its own."""

    __tablename__ = "kit_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("kits.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class MovementKind(enum.StrEnum):
    RECEIVE = "receive"  # supplier delivery registered
    ACCEPT = "accept"  # goods-in scan: received -> ready
    RESERVE = "reserve"
    RELEASE = "release"  # a reservation given up: back to ready on the same shelf
    LOAD = "load"
    UNLOAD = "unload"
    HANDOVER = "handover"
    COLLECT = "collect"
    CLEAN_START = "clean_start"
    CLEAN_FINISH = "clean_finish"
    TEST_PASS = "test_pass"  # noqa: S105 - a movement kind, not a password
    FAULT = "fault"
    REPAIR_OUT = "repair_out"
    REPAIR_BACK = "repair_back"
    LOSE = "lose"
    FIND = "find"
    SCRAP = "scrap"


class Movement(AppendOnly, Base):
    """The ledger: every change of a device's holder or status, never updated, never deleted."""

    __tablename__ = "movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    from_holder_id: Mapped[int | None] = mapped_column(ForeignKey("holders.id"))
    to_holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    from_status: Mapped[DeviceStatus | None] = mapped_column(str_enum(DeviceStatus))
    to_status: Mapped[DeviceStatus] = mapped_column(str_enum(DeviceStatus))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kits.id"))
    visit_id: Mapped[int | None]  # dispatch links visits when it lands
    ticket_id: Mapped[int | None]  # support links tickets when it lands
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        Index("ix_movements_device_occurred", "device_id", "occurred_at", "id"),
        # A citizen's timeline: what went into and out of the homes of their courses.
        Index("ix_movements_to_holder_occurred", "to_holder_id", "occurred_at", "id"),
        Index("ix_movements_from_holder_occurred", "from_holder_id", "occurred_at", "id"),
        # The equipment comparison: returns, passed tests and faults of a period (knowledge.service.equipment).
        Index("ix_movements_kind_occurred", "kind", "occurred_at"),
    )


class Custody(Base):
    """Who held a device from when to when. Kept in the same transaction as each movement; answers
    "where was X at T" and "what did citizen Y hold at T" with one indexed query each."""

    __tablename__ = "custody"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    holder_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    movement_id: Mapped[int] = mapped_column(ForeignKey("movements.id"))

    __table_args__ = (
        Index("ix_custody_device_started", "device_id", "started_at"),
        Index("ix_custody_citizen_started", "citizen_id", "started_at"),
        Index("ix_custody_holder_open", "holder_id", "ended_at"),
        Index("uq_custody_open_device", "device_id", unique=True, sqlite_where=text("ended_at IS NULL"),
              postgresql_where=text("ended_at IS NULL")),
    )


class SignoffKind(enum.StrEnum):
    CLEANING = "cleaning"
    FUNCTION_TEST = "function_test"
    CALIBRATION = "calibration"  # calibrated or serviced: the model's service interval starts again


class Signoff(AppendOnly, Base):
    """Who cleaned, tested or calibrated a device, when and how: cleaning and test are required before a returned
    device is ready again; a calibration restarts the model's service interval."""

    __tablename__ = "signoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    kind: Mapped[SignoffKind] = mapped_column(str_enum(SignoffKind))
    method: Mapped[str] = mapped_column(String(120))
    factory_reset: Mapped[bool] = mapped_column(default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StockMinimum(Base):
    """The fewest ready kits of a programme a depot should hold."""

    __tablename__ = "stock_minimums"

    id: Mapped[int] = mapped_column(primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    minimum: Mapped[int]

    __table_args__ = (UniqueConstraint("depot_id", "programme_id", name="uq_stock_minimums_depot_programme"),)


class ImportBatch(Base):
    """An uploaded supplier delivery file, kept so the preview and the import read the same bytes."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    depot_id: Mapped[int] = mapped_column(ForeignKey("holders.id"))
    owner_organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    imported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    row_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list | None] = mapped_column(JSON)


class TagCounter(Base):
    """The next number for each tag prefix (D devices, K kits, B bins, V vans)."""

    __tablename__ = "tag_counters"

    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    next_value: Mapped[int] = mapped_column(default=1)
