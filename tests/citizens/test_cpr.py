"""CPR numbers: normalising, validating (python-stdnum) and masking."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicecenter.citizens.cpr import birth_date, format_cpr, mask_cpr, normalise_cpr
from servicecenter.errors import DomainError


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)), st.integers(0, 3),
       st.integers(0, 999), st.sampled_from(["", "-", " "]))
def test_any_real_date_of_the_1900s_with_sequence_0_to_3_is_valid(born, seventh, serial, sep):
    number = born.strftime("%d%m%y") + sep + f"{seventh}{serial:03d}"
    digits = number.replace(sep, "") if sep else number
    assert normalise_cpr(number) == digits
    assert birth_date(digits) == born


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2025, 12, 31)), st.integers(0, 999))
def test_the_seventh_digit_places_the_century(born, serial):
    number = born.strftime("%d%m%y") + f"4{serial:03d}"  # 4 with year < 37: born in the 2000s
    assert birth_date(normalise_cpr(number)).year == born.year


def test_a_number_failing_modulus_11_is_still_accepted():
    # 010150-1001: weights 4,3,2,7,6,5,4,3,2,1 give a sum not divisible by 11; issued since 2007.
    number = "0101501001"
    assert sum(int(d) * w for d, w in zip(number, [4, 3, 2, 7, 6, 5, 4, 3, 2, 1], strict=True)) % 11 != 0
    assert normalise_cpr(number) == number


@pytest.mark.parametrize("value,message", [
    ("", "Enter a CPR number"),
    ("12345", "10 digits"),
    ("abcdefghij", "10 digits"),
    ("3102501234", "real date"),
    ("0113501234", "real date"),
    ("0101305000", "future"),  # seventh digit 5 and year 30: born 2030
])
def test_invalid_cpr_numbers_say_what_is_wrong(value, message):
    with pytest.raises(DomainError, match=message) as error:
        normalise_cpr(value)
    assert error.value.field == "cpr"


@given(st.from_regex(r"\A[0-9]{10}\Z"))
def test_masking_never_shows_the_serial(number):
    masked = mask_cpr(number)
    assert masked == number[:6] + "-XXXX"
    assert format_cpr(number).replace("-", "") == number


def test_a_child_born_today_in_copenhagen_is_accepted_whatever_utcs_date():
    """Copenhagen's day starts an hour or two before UTC's: born today there is not born in the future."""
    from servicecenter.db import local_date, utcnow

    today = local_date(utcnow())
    number = today.strftime("%d%m%y") + ("4" if today.year >= 2000 else "0") + "123"
    assert normalise_cpr(number) == number
