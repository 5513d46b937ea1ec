"""The warehouse's and the coordinator's start-page panels of the inventory (flask-free loaders)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Device, DeviceStatus
from inventory.service.stock import low_stock
from servicecenter.startpage import counts

# What waits for the warehouse, each with the scan mode that works it off.
WAITING = (("received", DeviceStatus.RECEIVED, "accept"), ("returned", DeviceStatus.RETURNED, "clean_start"),
           ("cleaning", DeviceStatus.CLEANING, "clean_finish"), ("testing", DeviceStatus.TESTING, "test_pass"),
           ("faulty", DeviceStatus.FAULTY, "repair_out"))


def warehouse_work(session: Session, _user, _now: dt.datetime) -> dict[str, int]:
    """Devices waiting at each step, capped, in one statement (devices.status is indexed)."""
    return counts(session, **{key: select(Device.id).where(Device.status == status) for key, status, _ in WAITING})


def stock_against_minimums(session: Session, _user, _now: dt.datetime) -> dict:
    """Ready kits per depot and programme below their minimum (one line per minimum set, not per device)."""
    return {"low": low_stock(session)}
