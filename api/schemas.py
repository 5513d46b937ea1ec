"""What the API takes and gives, as pydantic models: spectree validates requests and responses against them and
writes the OpenAPI document from them. Nothing here names a citizen: a citizen is an id, and the data of a course,
a visit or a ticket is its state, never a name, an address or a CPR number."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dispatch.models import TimeOfDay, Urgency, VisitKind, VisitStatus
from inventory.models import DeviceCategory, DeviceStatus, HolderKind
from servicecenter.courses.models import CourseStatus, EndReason
from support.models import Category, Priority, TicketStatus

MAX_LIMIT = 200
MAX_ID = 2**31 - 1  # ids are 32-bit on both databases: a bigger one is refused as invalid, not looked up


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(Strict):
    cursor: str | None = Field(None, max_length=40, description="From the previous page's next_cursor.")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)


class DeviceQuery(Page):
    tag: str | None = Field(None, max_length=20)
    serial: str | None = Field(None, max_length=60)
    model: str | None = Field(None, max_length=60, description="The model number.")
    state: DeviceStatus | None = None


class AtQuery(Strict):
    at: AwareDatetime | None = Field(None, description="ISO 8601 with a time zone; now when left out.")


class DeviceModelOut(Strict):
    id: int
    model_number: str
    name: str
    manufacturer: str
    category: DeviceCategory


class PlaceOut(Strict):
    kind: HolderKind
    name: str | None = Field(None, description="A depot, van, cleaning or repair place; never a citizen's home.")
    citizen_id: int | None = Field(None, description="The citizen whose home it is, when the token may see her.")


class DeviceOut(Strict):
    id: int
    tag: str
    serial: str
    model: DeviceModelOut
    state: DeviceStatus
    owner_organisation_id: int
    firmware_version: str | None
    place: PlaceOut
    last_moved_at: dt.datetime


class DevicePage(Strict):
    items: list[DeviceOut]
    next_cursor: str | None


class CustodyOut(Strict):
    device_id: int
    place: PlaceOut
    started_at: dt.datetime
    ended_at: dt.datetime | None = Field(description="None: still there.")


class CustodyPage(Strict):
    items: list[CustodyOut]
    next_cursor: str | None


class HeldOut(Strict):
    citizen_id: int
    at: dt.datetime
    devices: list[DeviceOut]


class CprLookup(Strict):
    cpr: str = Field(min_length=10, max_length=11, description="DDMMYYXXXX, with or without the dash.")


class CitizenRef(Strict):
    citizen_id: int


class CourseOut(Strict):
    id: int
    citizen_id: int
    programme: str
    state: CourseStatus
    referred_at: dt.datetime | None
    activated_at: dt.datetime | None
    ended_at: dt.datetime | None
    end_reason: EndReason | None
    lead_organisation_id: int | None


class CourseList(Strict):
    items: list[CourseOut]


class VisitQuery(Page):
    citizen_id: int | None = Field(None, ge=1, le=MAX_ID)
    kind: VisitKind | None = None
    status: VisitStatus | None = None


class VisitOut(Strict):
    id: int
    kind: VisitKind
    status: VisitStatus
    course_id: int
    citizen_id: int
    requested_at: dt.datetime
    earliest_on: dt.date
    latest_on: dt.date
    scheduled_on: dt.date | None
    window_start: str | None = Field(None, description="HH:MM, local time (Europe/Copenhagen).")
    window_end: str | None = None
    finished_at: dt.datetime | None
    failure_reason: str | None


class VisitPage(Strict):
    items: list[VisitOut]
    next_cursor: str | None


class SetupRequestIn(Strict):
    citizen_id: int = Field(ge=1, le=MAX_ID)
    programme: str = Field(min_length=1, max_length=20, description="The programme's code, e.g. COPD.")
    earliest_on: dt.date
    latest_on: dt.date
    time_of_day: TimeOfDay = TimeOfDay.ANY
    urgency: Urgency = Urgency.NORMAL
    relative_present: bool = False
    interpreter_needed: bool = False
    hearing_needs: bool = False
    notes: str = Field("", max_length=2000)


class TicketQuery(Page):
    citizen_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: TicketStatus | None = None


class TicketOut(Strict):
    id: int
    subject: str
    category: Category
    priority: Priority
    status: TicketStatus
    citizen_id: int | None
    device_id: int | None
    opened_at: dt.datetime
    resolved_at: dt.datetime | None


class TicketPage(Strict):
    items: list[TicketOut]
    next_cursor: str | None


class TicketIn(Strict):
    subject: str = Field(min_length=1, max_length=200)
    category: Category
    priority: Priority = Priority.P3
    body: str = Field("", max_length=10_000)
    citizen_id: int | None = Field(None, ge=1, le=MAX_ID)
    device_id: int | None = Field(None, ge=1, le=MAX_ID)
