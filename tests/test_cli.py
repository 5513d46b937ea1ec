"""Command line: first admin, deterministic demo data, refusal in production, migration."""

from __future__ import annotations

from sqlalchemy import select

from servicecenter.auth.models import Role, User
from servicecenter.auth.passwords import verify_password
from servicecenter.citizens.models import Citizen
from tests.conftest import make_test_app


def test_create_admin_asks_for_the_password_and_refuses_a_weak_one(app, session):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["users", "create-admin", "--username", "chef", "--name", "Chef"],
                         input="short\nshort\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    ok = runner.invoke(args=["users", "create-admin", "--username", "chef", "--name", "Chef"],
                       input="a-long-admin-password\na-long-admin-password\n")
    assert ok.exit_code == 0, ok.output
    session.rollback()
    admin = session.scalar(select(User).where(User.username == "chef"))
    assert admin.role == Role.ADMIN and "a-long-admin-password" not in admin.password_hash
    again = runner.invoke(args=["users", "create-admin", "--username", "chef", "--name", "Chef"],
                          input="a-long-admin-password\na-long-admin-password\n")
    assert again.exit_code != 0 and "taken" in again.output


def test_demo_data_is_deterministic(sqlite_template, tmp_path):
    import shutil

    cprs = []
    for name in ("a.db", "b.db"):
        shutil.copy(sqlite_template, tmp_path / name)
        app = make_test_app(f"sqlite:///{tmp_path / name}")
        result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "120"])
        assert result.exit_code == 0, result.output
        assert "helpdesk" in result.output and "Servicecenter-demo-3" in result.output
        s = app.extensions["database"].factory()
        cprs.append(list(s.scalars(select(Citizen.cpr).order_by(Citizen.id))))
        s.close()
        app.extensions["database"].engine.dispose()
    assert len(cprs[0]) == 120 and cprs[0] == cprs[1]


def printed_logins(output: str) -> dict[str, tuple[str, str]]:
    """username -> (role, password) from the lines after "Demo logins"."""
    lines = output.split("Demo logins", 1)[1].splitlines()[1:]
    return {username: (role, password) for role, username, password in (line.split() for line in lines if line)}


def test_demo_data_prints_every_login_it_creates(app, session):
    """The features make demo users too (dispatch's extra technicians): each is printed, with a password that works."""
    runner = app.test_cli_runner()
    before = set(session.scalars(select(User.username)))
    result = runner.invoke(args=["demo-data", "--citizens", "5"])
    assert result.exit_code == 0, result.output
    printed = printed_logins(result.output)
    session.rollback()
    users = {u.username: u for u in session.scalars(select(User)) if u.username not in before}
    assert {"tekniker2", "tekniker3", "helpdesk"} <= set(users)
    assert set(printed) == set(users)
    for username, (role, password) in printed.items():
        assert users[username].role.value == role and verify_password(users[username].password_hash, password)
    assert printed_logins(runner.invoke(args=["demo-data", "--print-logins"]).output) == printed


def test_demo_data_logins_work(app, client):
    app.test_cli_runner().invoke(args=["demo-data", "--citizens", "5"])
    for username, password in (("helpdesk", "Servicecenter-demo-3"), ("sygeplejerske", "Servicecenter-demo-6")):
        fresh = app.test_client()
        assert fresh.login(username, password).status_code == 302


def test_demo_data_is_refused_in_production(database_url):
    app = make_test_app(database_url, SC_ENV="production", PUBLIC_BASE_URL="https://servicecenter.example.dk")
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code != 0 and "production" in result.output


def test_db_upgrade_migrates_an_empty_database_and_adds_reference_data(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'fresh.db'}")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "34 reference rows" in result.output
    assert app.test_client().get("/login").status_code == 200
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert "0 reference rows" in again.output


def test_the_embedded_server_serves_the_login_page_over_real_http(sqlite_url):
    """`flask serve` is what `make run` starts: a real process answering on a real port."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": sqlite_url, "SECRET_KEY": "test", "FLASK_APP": "app"}
    flask = str(Path(sys.executable).parent / "flask")
    root = Path(__file__).resolve().parent.parent
    server = subprocess.Popen([flask, "serve", "--port", str(port)], cwd=root, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        body, deadline = b"", time.monotonic() + 30
        while time.monotonic() < deadline and not body:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).read()  # noqa: S310
            except OSError:
                time.sleep(0.3)
        assert b'name="password"' in body
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_demo_is_one_consistent_journey_made_through_the_services(app):
    """The demo's courses, devices and visits agree with each other (both checks pass), every state of the journey
    is there, referrals come from nurses, and a citizen's GP practises in her own town."""
    from servicecenter.courses.models import Course, CourseStatus
    from servicecenter.organisations.models import Organisation

    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "60"])
    assert result.exit_code == 0, result.output
    for group in ("courses", "inventory"):
        checked = app.test_cli_runner().invoke(args=[group, "verify"])
        assert checked.exit_code == 0, checked.output
    s = app.extensions["database"].factory()
    states = set(s.scalars(select(Course.status)))
    assert states >= {CourseStatus.REFERRED, CourseStatus.ALLOCATED, CourseStatus.SETUP_SCHEDULED,
                      CourseStatus.ACTIVE, CourseStatus.PAUSED, CourseStatus.ENDING, CourseStatus.ENDED}
    referrers = set(s.scalars(select(User.role).join(Course, Course.referred_by_user_id == User.id)))
    assert referrers <= {Role.NURSE, Role.HELPDESK}
    for citizen, gp_code in s.execute(select(Citizen, Organisation.code).join(
            Organisation, Organisation.id == Citizen.responsible_organisation_id)):
        assert gp_code.split("-")[1] == citizen.postal_code, (citizen.city, gp_code)
    s.close()
