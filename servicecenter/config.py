"""Configuration: defaults, then environment variables, then a test mapping passed to create_app."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance: Path) -> str:
    """Read SECRET_KEY from the environment, else from instance/secret_key (made once, kept private)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _optional_int(value: str) -> int | None:
    return int(value) if value.strip() else None


def load_config() -> dict:
    instance = Path(os.environ.get("SC_INSTANCE_PATH", ROOT / "instance"))
    default_db = f"sqlite:///{instance / 'servicecenter.db'}"
    return {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "DATABASE_URL": os.environ.get("DATABASE_URL", default_db),
        # PostgreSQL: no parallel workers for the app's queries (short ones: a worker's start costs more than it
        # saves, issue 17); "" keeps the server's setting (e.g. for a process that only runs reports).
        "PG_PARALLEL_WORKERS_PER_GATHER": _optional_int(os.environ.get("PG_PARALLEL_WORKERS_PER_GATHER", "0")),
        "SC_ENV": os.environ.get("SC_ENV", "development"),
        # Every link that leaves the system (confirmation links in texts to citizens) starts with this, never
        # with the Host of the request that made it (a forged Host would send citizens elsewhere).
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000"),
        # Inactivity timeout of a login session; the helpdesk keeps the app open all day, so it is generous.
        "SESSION_IDLE_MINUTES": int(os.environ.get("SESSION_IDLE_MINUTES", "60")),
        "SESSION_MAX_HOURS": 12,
        "LOGIN_MAX_FAILURES": 5,  # one username from one address
        "LOGIN_MAX_FAILURES_PER_USER": 20,
        "LOGIN_WINDOW_MINUTES": 15,
        "LOGIN_MAX_FAILURES_PER_IP": 100,
        # argon2id work factors (argon2-cffi's RFC 9106 low-memory profile by default).
        "ARGON2_TIME_COST": 3,
        "ARGON2_MEMORY_COST": 65536,
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),  # reverse proxies that set X-Forwarded-For
        "PAGE_SIZE": 25,
        # Need to know (servicecenter/citizens/access.py): a technician sees the citizen of a visit assigned to him
        # from this many days before its day to this many after; a nurse keeps an ended course's citizen this long.
        "ACCESS_TECHNICIAN_DAYS_BEFORE": int(os.environ.get("ACCESS_TECHNICIAN_DAYS_BEFORE", "2")),
        "ACCESS_TECHNICIAN_DAYS_AFTER": int(os.environ.get("ACCESS_TECHNICIAN_DAYS_AFTER", "2")),
        "ACCESS_NURSE_DAYS_AFTER_END": int(os.environ.get("ACCESS_NURSE_DAYS_AFTER_END", "30")),
        # The REST API's calls per token and minute, counted in the database (every app process counts the same).
        "API_CALLS_PER_MINUTE": int(os.environ.get("API_CALLS_PER_MINUTE", "600")),
        # Rate limits per person (servicecenter/ratelimit.py): at most COUNT within SECONDS. A helpdesk agent on the
        # phone searches a few times a minute; a script walking the register hits these at once. {} switches off.
        "RATE_LIMITS": {"search": (60, 60), "record": (120, 60), "export": (30, 600)},
        # A handover of the lead not answered within this many Danish working days is flagged.
        "HANDOVER_ANSWER_WORKING_DAYS": 2,
        "BABEL_DEFAULT_LOCALE": "da",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Copenhagen",
        "LANGUAGES": ("da", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SC_ENV") == "production",
        # In production the cookie is a __Host- cookie: Secure, Path=/ and no Domain, so no sibling host can set
        # or shadow it.
        "SESSION_COOKIE_NAME": "__Host-session" if os.environ.get("SC_ENV") == "production" else "session",
        "SESSION_COOKIE_PATH": "/",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the login session
        "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        # Long work (optimising a day) is a job of the queue (servicecenter/queue.py). JOB_RUNNER "thread" runs it
        # in a thread of the web process (make run, SQLite); "worker" only enqueues it for `flask worker`
        # processes (production); "inline" runs it in the request (tests). A job whose process stopped sending its
        # heartbeat for JOB_LEASE_SECONDS is taken as lost.
        "JOB_RUNNER": os.environ.get("JOB_RUNNER", "thread"),
        "JOB_LEASE_SECONDS": float(os.environ.get("JOB_LEASE_SECONDS", "60")),
        **_outbox(instance),
        **_portal(),
        **_coordination(),
    }


def _portal() -> dict:
    """The citizens' portal (portal/): sign-in codes and their limits, short sessions, and MitID over OpenID Connect
    (off until PORTAL_OIDC_ISSUER is set; then the client id and secret are needed). PORTAL_BOOKING_RULES overrides
    the booking rules per visit kind, e.g. {"setup": {"lead_hours": 72}} (portal/service/selfservice.py)."""
    return {
        "PORTAL_CODE_MINUTES": 10,
        "PORTAL_TRIES_PER_CODE": 5,
        "PORTAL_CODES_PER_NUMBER": 5,  # in an hour
        "PORTAL_CODES_PER_ADDRESS": 30,
        "PORTAL_FAILURES_PER_NUMBER": 10,  # wrong codes in an hour: the number is locked for the rest of it
        "PORTAL_FAILURES_PER_ADDRESS": 50,
        "PORTAL_IDLE": dt.timedelta(minutes=int(os.environ.get("PORTAL_IDLE_MINUTES", "15"))),
        "PORTAL_MAX_AGE": dt.timedelta(minutes=int(os.environ.get("PORTAL_MAX_MINUTES", "60"))),
        "PORTAL_BOOKING_RULES": {},
        "PORTAL_OIDC_ISSUER": os.environ.get("PORTAL_OIDC_ISSUER", ""),
        "PORTAL_OIDC_CLIENT_ID": os.environ.get("PORTAL_OIDC_CLIENT_ID", ""),
        "PORTAL_OIDC_CLIENT_SECRET": os.environ.get("PORTAL_OIDC_CLIENT_SECRET", ""),
        "SERVICE_CENTER_PHONE": os.environ.get("SERVICE_CENTER_PHONE", "70 20 30 40"),
    }


def _coordination() -> dict:
    """Indicators and the monthly report (coordination/): the targets a month's figures are held against (a figure
    that misses one is a deviation the coordinator explains before the report is released), and the days a device
    may stay in the home after its course ended before it counts as overdue for pickup."""
    return {
        "COORDINATION_TARGETS": {
            "inclusion_rate": 0.95,  # the national target
            "first_setup_rate": 0.90,
            "lead_days_median": 14,  # at most
            "sla": 0.90,  # per priority
            "overdue_pickups": 0,  # at most
        },
        "COORDINATION_PICKUP_GRACE_DAYS": 10,
        "COORDINATION_FORECAST_DAYS": 7,
        # Devices that do not come back: working days from the course's end (a failed pickup: at once) to the first
        # reminder, to the second, to the escalation, and from there to the proposed write-off.
        "NON_RETURN_WORKING_DAYS": {"first_reminder": 5, "second_reminder": 5, "escalate": 5, "propose_write_off": 10,
                                    "found_wait": 5},
    }


def _outbox(instance: Path) -> dict:
    """Messages out (servicecenter/outbox): the senders per channel and how delivery retries. In development the
    file sender writes each message to instance/outbox/; production sends nothing until a sender is chosen."""
    default = "none" if os.environ.get("SC_ENV") == "production" else "file"
    return {
        "OUTBOX_SMS_SENDER": os.environ.get("OUTBOX_SMS_SENDER", default),  # file, http or none
        "OUTBOX_EMAIL_SENDER": os.environ.get("OUTBOX_EMAIL_SENDER", default),  # file or none
        "OUTBOX_FILE_DIR": os.environ.get("OUTBOX_FILE_DIR", str(instance / "outbox")),
        "OUTBOX_SMS_URL": os.environ.get("OUTBOX_SMS_URL", ""),  # the gateway's endpoint, https
        "OUTBOX_SMS_TOKEN": os.environ.get("OUTBOX_SMS_TOKEN", ""),  # its bearer token
        "OUTBOX_SMS_FROM": os.environ.get("OUTBOX_SMS_FROM", "Servicectr"),  # the sender name (11 characters)
        "OUTBOX_HTTP_TIMEOUT": float(os.environ.get("OUTBOX_HTTP_TIMEOUT", "10")),
        "OUTBOX_MAX_ATTEMPTS": 8,  # half an hour to an hour of retries with the backoff below
        "OUTBOX_RETRY_BASE_SECONDS": 30,
        "OUTBOX_RETRY_MAX_SECONDS": 3600,
        "OUTBOX_BATCH": 10,
        "OUTBOX_LEASE_SECONDS": 300,  # a claim older than this is a crashed worker's: more than a batch's timeouts
        "OUTBOX_PER_RUN": 500,
    }


def check_config(config: dict) -> None:
    """Refuse to start on a configuration that is unsafe: production needs an https public base URL."""
    base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if base.scheme not in ("http", "https") or not base.netloc or base.query or base.fragment:
        raise RuntimeError("PUBLIC_BASE_URL must be an absolute URL such as https://service.example.dk")
    if config.get("SC_ENV") == "production" and base.scheme != "https":
        raise RuntimeError("PUBLIC_BASE_URL must use https in production (SC_ENV=production)")
    if config.get("SESSION_COOKIE_NAME", "").startswith("__Host-") and (
            not config.get("SESSION_COOKIE_SECURE") or config.get("SESSION_COOKIE_DOMAIN")
            or config.get("SESSION_COOKIE_PATH") != "/"):
        raise RuntimeError("a __Host- session cookie needs SESSION_COOKIE_SECURE, Path=/ and no Domain")
    if config.get("JOB_RUNNER", "thread") not in ("thread", "worker", "inline"):
        raise RuntimeError("JOB_RUNNER must be thread (make run), worker (production: flask worker) or inline (tests)")
    if float(config.get("JOB_LEASE_SECONDS", 60)) <= 0:
        raise RuntimeError("JOB_LEASE_SECONDS must be more than 0")
    if config.get("PORTAL_OIDC_ISSUER") and not (config.get("PORTAL_OIDC_CLIENT_ID")
                                                 and config.get("PORTAL_OIDC_CLIENT_SECRET")):
        raise RuntimeError("PORTAL_OIDC_ISSUER needs PORTAL_OIDC_CLIENT_ID and PORTAL_OIDC_CLIENT_SECRET")
    if config.get("OUTBOX_SMS_SENDER") == "http":
        gateway = urlsplit(config.get("OUTBOX_SMS_URL") or "")
        if not gateway.netloc or not config.get("OUTBOX_SMS_TOKEN"):
            raise RuntimeError("OUTBOX_SMS_SENDER=http needs OUTBOX_SMS_URL and OUTBOX_SMS_TOKEN")
        if config.get("SC_ENV") == "production" and gateway.scheme != "https":
            raise RuntimeError("OUTBOX_SMS_URL must use https in production")
