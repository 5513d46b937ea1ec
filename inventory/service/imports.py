"""Supplier delivery files: parse and check every row, show a preview, and import only a file with no errors,
all rows in one transaction. A device registered by hand is one such row: checked and registered by the same code."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Device, DeviceCategory, DeviceModel, Holder, ImportBatch, SimCard
from inventory.service.catalog import DeviceData, normalise_iccid, register_device, register_sim
from servicecenter.audit.service import record_event
from servicecenter.db import get_or_raise
from servicecenter.errors import N_, Conflict, DomainError

MAX_BYTES = 1_000_000
MAX_ROWS = 5_000
REQUIRED = ("model", "serial")
OPTIONAL = ("iccid", "phone", "operator", "firmware", "purchased", "warranty_until")
PHONE_RE = re.compile(r"\+?(?:[ -]?\d){8,15}")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")  # a line break, tab, NUL... inside a value: a broken export
MAX_LENGTH = {"model": 60, "serial": 60, "iccid": 22, "phone": 20, "operator": 40, "firmware": 40, "purchased": 10,
              "warranty_until": 10}


@dataclass
class Row:
    number: int  # line in the file (the header is line 1)
    values: dict[str, str]
    errors: list[dict] = field(default_factory=list)  # [{"message": msgid, "params": {...}, "column": name}]

    def error(self, message: str, *, on: str | None = None, **params) -> None:
        """Note an error; `on` names the column it is about, so a form can show it at its field."""
        self.errors.append({"message": message, "params": params, "column": on})


@dataclass
class Parsed:
    rows: list[Row]
    file_errors: list[dict]

    @property
    def ok(self) -> bool:
        return not self.file_errors and all(not r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(r.errors) for r in self.rows)


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise DomainError(N_("The file is larger than %(n)d kB."), field="file", n=MAX_BYTES // 1000)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(N_("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8” and try again."),
                          field="file") from None
    if "\x00" in text:  # never stored: PostgreSQL refuses NUL in text, and it is no CSV
        raise DomainError(N_("Line %(line)d contains a NUL character: this is not a CSV text file. In Excel, save "
                             "it as “CSV UTF-8” and try again."), field="file",
                          line=text.count("\n", 0, text.index("\x00")) + 1)
    return text


def parse(session: Session, text: str) -> Parsed:
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        return Parsed([], [{"message": N_("The file is empty."), "params": {}}])
    dialect = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=dialect)
    header = [h.strip().lower() for h in next(reader)]
    file_errors = _header_errors(header)
    if file_errors:
        return Parsed([], file_errors)
    rows = []
    try:
        for values in reader:
            if any(v.strip() for v in values):
                row = Row(reader.line_num, dict(zip(header, [v.strip() for v in values], strict=False)))
                if len(values) != len(header):
                    row.error(N_("This line has %(n)d values; the header has %(columns)d columns."), n=len(values),
                              columns=len(header))
                rows.append(row)
    except csv.Error:  # e.g. a bare carriage return (CR) inside a value that is not in quotes
        return Parsed([], [{"message": N_("Line %(line)d cannot be read: a line break or quote inside a value. "
                                          "Remove it, or put the value in double quotes."),
                            "params": {"line": reader.line_num}}])
    if len(rows) > MAX_ROWS:
        return Parsed([], [{"message": N_("The file has more than %(n)d rows."), "params": {"n": MAX_ROWS}}])
    _check_rows(session, rows)
    return Parsed(rows, [])


def _header_errors(header: list[str]) -> list[dict]:
    errors = [{"message": N_("The column “%(name)s” is missing."), "params": {"name": name}}
              for name in REQUIRED if name not in header]
    errors += [{"message": N_("Unknown column “%(name)s”. Known columns: %(known)s."),
                "params": {"name": name, "known": ", ".join(REQUIRED + OPTIONAL)}}
               for name in header if name not in REQUIRED + OPTIONAL]
    return errors


def _check_rows(session: Session, rows: list[Row]) -> None:
    models = {m.model_number.lower(): m for m in session.scalars(select(DeviceModel))}
    seen_serials: dict[tuple[int, str], int] = {}
    seen_iccids: dict[str, int] = {}
    for row in rows:
        for column, value in row.values.items():
            if CONTROL_RE.search(value):
                row.error(N_("%(column)s contains a control character (a line break, tab or similar); remove it."),
                          on=column, column=column)
            if len(value) > MAX_LENGTH[column]:
                row.error(N_("%(column)s is longer than %(n)d characters."), on=column, column=column,
                          n=MAX_LENGTH[column])
        model = models.get(row.values.get("model", "").lower())
        serial = row.values.get("serial", "")
        if model is None:
            row.error(N_("Unknown model “%(model)s”."), on="model", model=row.values.get("model", "")[:60])
        if not serial or len(serial) > 60:
            row.error(N_("The serial number is missing or longer than 60 characters."), on="serial")
        elif model is not None:
            key = (model.id, serial)
            if key in seen_serials:
                row.error(N_("Serial %(serial)s appears twice in the file (line %(line)d)."), on="serial",
                          serial=serial, line=seen_serials[key])
            seen_serials.setdefault(key, row.number)
        _check_iccid(row, model, seen_iccids)
        for name in ("purchased", "warranty_until"):
            _check_date(row, name)
    _check_existing(session, rows, models, seen_serials, seen_iccids)


def _check_iccid(row: Row, model: DeviceModel | None, seen: dict[str, int]) -> None:
    raw = row.values.get("iccid", "")
    phone = row.values.get("phone", "")
    if phone and not PHONE_RE.fullmatch(phone):
        row.error(N_("“%(value)s” is not a phone number (8 to 15 digits)."), on="phone", value=phone[:20])
    if not raw:
        if phone or row.values.get("operator"):
            row.error(N_("A phone number or operator belongs to a SIM card: give its ICCID too."), on="iccid")
        return
    try:
        iccid = normalise_iccid(raw)
    except DomainError as error:
        row.error(error.message, on="iccid", **error.params)
        return
    if model is not None and model.category != DeviceCategory.TABLET:
        row.error(N_("A SIM card goes in a tablet, not in a %(model)s."), on="iccid", model=model.model_number)
    if iccid in seen:
        row.error(N_("ICCID %(iccid)s appears twice in the file (line %(line)d)."), on="iccid", iccid=iccid,
                  line=seen[iccid])
    seen.setdefault(iccid, row.number)


def _check_date(row: Row, name: str) -> None:
    value = row.values.get(name, "")
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            row.error(N_("%(column)s must be a date YYYY-MM-DD, not “%(value)s”."), on=name, column=name,
                      value=value[:20])


def _check_existing(session: Session, rows: list[Row], models: dict, serials: dict, iccids: dict) -> None:
    """Duplicates against the database, in two queries for the whole file."""
    if serials:
        wanted = {serial for _model, serial in serials}
        existing = {(m, s) for m, s in session.execute(
            select(Device.model_id, Device.serial).where(Device.serial.in_(wanted)))}
        for row in rows:
            model = models.get(row.values.get("model", "").lower())
            if model is not None and (model.id, row.values.get("serial", "")) in existing:
                row.error(N_("Serial %(serial)s is already registered."), on="serial", serial=row.values["serial"])
    if iccids:
        taken = set(session.scalars(select(SimCard.iccid).where(SimCard.iccid.in_(list(iccids)))))
        for iccid in taken:
            next(r for r in rows if r.number == iccids[iccid]).error(
                N_("ICCID %(iccid)s is already registered."), on="iccid", iccid=iccid)


def create_batch(session: Session, *, filename: str, data: bytes, depot: Holder, owner_organisation_id: int,
                 actor, now: dt.datetime) -> tuple[ImportBatch, Parsed]:
    text = decode(data)
    parsed = parse(session, text)
    batch = ImportBatch(filename=filename[:200], content=text, depot_id=depot.id,
                        owner_organisation_id=owner_organisation_id, created_by_id=actor.id, created_at=now,
                        row_count=len(parsed.rows), errors=None)
    session.add(batch)
    session.flush()
    return batch, parsed


def get_batch(session: Session, batch_id: int) -> ImportBatch:
    return get_or_raise(session, ImportBatch, batch_id, N_("No such import."))


def run_import(session: Session, batch: ImportBatch, *, actor, now: dt.datetime) -> list[Device]:
    """Import every row or none: the file is checked again in this transaction."""
    batch = session.scalar(select(ImportBatch).where(ImportBatch.id == batch.id).with_for_update())
    if batch.imported_at is not None:
        raise Conflict(N_("This file has already been imported."))
    parsed = parse(session, batch.content)
    if not parsed.ok:
        raise DomainError(N_("The file has %(n)d errors; nothing was imported."), n=parsed.error_count)
    depot = session.get(Holder, batch.depot_id)
    models = _models(session)
    devices = [_register_row(session, row.values, models, depot=depot,
                             owner_organisation_id=batch.owner_organisation_id, actor=actor, now=now,
                             import_batch_id=batch.id) for row in parsed.rows]
    batch.imported_at = now
    record_event(session, actor=actor, action="inventory.import", entity_type="import_batch", entity_id=batch.id,
                 now=now, detail={"devices": len(devices)})
    return devices


def _models(session: Session) -> dict[str, DeviceModel]:
    return {m.model_number.lower(): m for m in session.scalars(select(DeviceModel))}


def _register_row(session: Session, v: dict[str, str], models: dict[str, DeviceModel], *, depot: Holder,
                  owner_organisation_id: int, actor, now: dt.datetime, import_batch_id: int | None) -> Device:
    """One checked row: the device, and its SIM card paired to it when the row has one."""
    device = register_device(session, DeviceData(
        model_id=models[v["model"].lower()].id, serial=v["serial"], owner_organisation_id=owner_organisation_id,
        firmware_version=v.get("firmware") or None, purchased_on=_date(v.get("purchased")),
        warranty_until=_date(v.get("warranty_until")),
    ), depot=depot, actor=actor, now=now, import_batch_id=import_batch_id)
    if v.get("iccid"):
        register_sim(session, iccid=v["iccid"], phone_number=v.get("phone"), operator=v.get("operator"),
                     device=device, now=now)
    return device


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# --- one device by hand ---------------------------------------------------------------------------------


def check_entry(session: Session, values: dict[str, str]) -> list[dict]:
    """The errors a file row with these values would have (columns as in a file: model is the model number)."""
    row = Row(1, {k: (v or "").strip() for k, v in values.items() if k in REQUIRED + OPTIONAL})
    _check_rows(session, [row])
    return row.errors


def register_entry(session: Session, values: dict[str, str], *, depot: Holder, owner_organisation_id: int, actor,
                   now: dt.datetime) -> Device:
    """Register one device typed in by hand: checked again in this transaction exactly as a file row, then
    registered by the same code as an import."""
    errors = check_entry(session, values)
    if errors:
        first = errors[0]
        raise DomainError(first["message"], field=first["column"], **first["params"])
    clean = {k: (v or "").strip() for k, v in values.items() if k in REQUIRED + OPTIONAL}
    device = _register_row(session, clean, _models(session), depot=depot, owner_organisation_id=owner_organisation_id,
                           actor=actor, now=now, import_batch_id=None)
    record_event(session, actor=actor, action="inventory.register_by_hand", entity_type="device",
                 entity_id=device.id, now=now)
    return device
