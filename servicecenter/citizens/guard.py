"""Pages about something that belongs to a citizen (a course, a visit) load it only for people who may see that
citizen, and the load is a read of the citizen: one audit row, allowed or denied."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from flask_login import current_user
from sqlalchemy.orm import Session

from servicecenter.citizens.service import open_citizen
from servicecenter.db import unit_of_work
from servicecenter.extensions import db_session
from servicecenter.web import now

T = TypeVar("T")


def load_for_citizen(load: Callable[[Session], T], action: str) -> T:
    """`load(session)` returns an object with a `citizen_id` (or raises NotFound); 404 if the citizen is not
    this user's to see."""
    s = db_session()
    with unit_of_work(s):
        obj = load(s)
        access = open_citizen(s, obj.citizen_id, actor=current_user, now=now(), action=action)
    if not access.allowed:
        abort(404)
    return obj
