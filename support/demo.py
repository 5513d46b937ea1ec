"""Demo data for support: filled in below."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def load_support_demo(session: Session, *, now: dt.datetime) -> dict[str, int]:
    return {"tickets": 0}
