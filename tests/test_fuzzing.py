"""Fuzzing with a small budget (the bench runs 100,000+ inputs): CPR parsing, the three searches, the scan page and
the supplier import never answer 500, and a refused import leaves every row count as it was. Strategies and the
harness are in tests/fuzzing.py (NUL bytes, huge ids and bare CRs included)."""

from __future__ import annotations

import pytest
from hypothesis import given

from tests.fuzzing import Harness, cpr_inputs, cpr_problem, fuzz_settings, run

BUDGET = {"cpr": 500, "citizen_search": 50, "nurse_search": 30, "device_search": 50, "support_search": 30,
          "scan": 100, "import": 40}


@pytest.fixture
def harness(app, session, factory):
    return Harness(app, session, factory)


@fuzz_settings(BUDGET["cpr"])
@given(cpr_inputs)
def test_cpr_parsing_answers_a_number_or_a_domain_error(text):
    assert cpr_problem(text) is None


@pytest.mark.parametrize("target", ["citizen_search", "nurse_search", "device_search", "support_search"])
def test_no_search_answers_500(harness, target):
    assert run(harness, target, BUDGET[target]).failures == 0


def test_the_scan_page_never_answers_500(harness):
    assert run(harness, "scan", BUDGET["scan"]).failures == 0


def test_the_import_never_answers_500_and_never_half_saves(harness):
    assert run(harness, "import", BUDGET["import"]).failures == 0


def test_a_file_with_a_nul_byte_is_refused_not_a_500(harness):
    harness.import_one(b"model,serial\nM-tablet,S1\x00X\n")
