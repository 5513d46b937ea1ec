"""The dashboard, its charts and CSVs, and the cases behind a figure (cut by need-to-know), for the data set."""

from __future__ import annotations

import csv
import io

import pytest
from lxml import etree
from sqlalchemy import func, select

from coordination.service import figures as F
from servicecenter.audit.models import AuditEvent
from servicecenter.auth.models import Role
from servicecenter.db import unit_of_work
from tests.coordination.dataset import MARCH, NOW, build


@pytest.fixture
def world(session):
    world = build(session)
    with unit_of_work(session):
        F.refresh(session, MARCH, now=NOW)
    return world


def _login(client, factory, role):
    user = factory.user(role)
    client.login(user.username)
    return user


def test_the_dashboard_shows_the_month_with_links_to_its_cases(client, factory, world):
    _login(client, factory, Role.COORDINATOR)
    page = client.get("/coordination/?month=2026-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "75,0 %" in html and "133,3" in html  # inclusion rate; tickets per 100 active citizens
    assert "/coordination/cases/activated?month=2026-03" in html
    assert 'src="/coordination/charts/inclusion.svg?month=2026-03"' in html
    cluster_y = client.get(f"/coordination/?month=2026-03&cluster={world.y.id}").get_data(as_text=True)
    assert "75,0 %" not in cluster_y  # nobody was included in cluster Y in March


def test_a_chart_is_an_svg_image_without_scripts(client, factory, world):
    _login(client, factory, Role.ADMIN)
    answer = client.get("/coordination/charts/inclusion.svg?month=2026-03")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    root = etree.fromstring(answer.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert not root.findall(".//{http://www.w3.org/2000/svg}script")
    assert client.get("/coordination/charts/nothing.svg").status_code == 404


def test_every_table_downloads_as_csv(client, factory, world):
    _login(client, factory, Role.COORDINATOR)
    answer = client.get(f"/coordination/dashboard.csv?panel=courses&month=2026-03&programme={world.kol.id}")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert answer.mimetype == "text/csv" and len(rows) == 14  # the header and thirteen months
    assert rows[-1][:3] == ["2026-03", "3", "2"]  # KOL in March: referred 3, included 2
    assert client.get("/coordination/dashboard.csv?panel=nothing").status_code == 404
    assert client.get("/coordination/stock.csv").status_code == 200


def test_the_cases_behind_a_figure_name_the_citizens_and_log_the_read(client, factory, session, world):
    _login(client, factory, Role.COORDINATOR)
    page = client.get("/coordination/cases/activated?month=2026-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "3 sager i alt" in html
    assert all(name in html for name in ("C1 Dataset", "C2 Dataset", "C5 Dataset")) and "C3 Dataset" not in html
    session.rollback()
    logged = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "indicator.case_list"))
    assert logged == 3
    overdue = client.get("/coordination/cases/overdue_pickups?month=2026-03").get_data(as_text=True)
    assert "DS000001" in overdue and "DS000002" not in overdue
    failed = client.get("/coordination/cases/first_setup?month=2026-03&key=failed").get_data(as_text=True)
    assert "C1 Dataset" in failed and "C2 Dataset" not in failed


def test_outside_need_to_know_the_cases_are_counted_but_not_named(client, factory, world):
    _login(client, factory, Role.ADMIN)  # an admin sees the figures, not the citizens
    html = client.get("/coordination/cases/activated?month=2026-03").get_data(as_text=True)
    assert "3 sager i alt" in html and "C1 Dataset" not in html
    assert client.get("/coordination/cases/utilisation?month=2026-03").status_code == 404  # no cases behind it


@pytest.mark.parametrize("role", [Role.HELPDESK, Role.NURSE, Role.TECHNICIAN, Role.WAREHOUSE])
def test_other_roles_are_refused(client, factory, world, role):
    _login(client, factory, role)
    for url in ("/coordination/", "/coordination/cases/activated", "/coordination/reports",
                "/coordination/charts/inclusion.svg", "/coordination/dashboard.csv?panel=courses"):
        assert client.get(url).status_code == 403, url


def test_a_month_that_is_not_one_is_a_clear_400(client, factory, world):
    _login(client, factory, Role.COORDINATOR)
    assert client.get("/coordination/?month=2026-13").status_code == 400
    assert client.get("/coordination/?month=0001-01").status_code == 400
