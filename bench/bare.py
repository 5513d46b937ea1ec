"""The bare ceiling of the load benchmark (bench/load.py): Flask under the same gunicorn settings, one `SELECT 1`
on the same database through SQLAlchemy's pool and a small template, nothing else. The app's pages are measured
against what this serves per second in the same run."""

from __future__ import annotations

import os

from flask import Flask, render_template_string
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["BENCH_BARE_DATABASE_URL"], pool_pre_ping=False)
PAGE = "<!doctype html><title>{{ title }}</title><ul>{% for n in numbers %}<li>{{ n }}</li>{% endfor %}</ul>"


@app.get("/bare")
def bare():
    with engine.connect() as conn:
        one = conn.execute(text("SELECT 1")).scalar()
    return render_template_string(PAGE, title="bare", numbers=range(one, one + 10))


@app.get("/healthz")
def health():
    return "ok"
