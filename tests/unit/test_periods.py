"""Closed periods: months parse, close in order once ended, reopen latest-first with a
reason; nothing is booked into a closed month."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta, timezone
from importlib import resources
from zoneinfo import ZoneInfo

import pytest

from jxc.domain.errors import Conflict, Invalid
from jxc.domain.periods import (
    Period,
    booking_date,
    check_can_close,
    check_can_reopen,
    check_open,
    check_plausible,
    company_day,
    company_time,
    zone_name,
    zone_named,
)

SEPTEMBER, OCTOBER, NOVEMBER = Period(2026, 9), Period(2026, 10), Period(2026, 11)
TODAY = date(2026, 11, 25)


def test_a_month_parses_and_knows_its_days():
    assert Period.parse(" 2024-02 ") == Period(2024, 2)
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2026, 12).next() == Period(2027, 1)
    assert str(Period(2026, 9)) == "2026-09"
    assert Period.of(date(2026, 10, 31)) == OCTOBER


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-9", "26-09", "九月", "2026-09-01"])
def test_anything_but_a_month_is_refused_naming_it(text):
    with pytest.raises(Invalid) as refused:
        Period.parse(text)

    assert (refused.value.code, refused.value.params) == ("period.invalid", {"value": text})


def test_a_date_inside_or_before_the_latest_closed_month_is_closed():
    check_open(date(2026, 11, 1), OCTOBER)
    check_open(date(2026, 1, 1), None)
    for closed in (date(2026, 10, 31), date(2026, 9, 1)):
        with pytest.raises(Conflict) as refused:
            check_open(closed, OCTOBER)
        assert refused.value.code == "period.closed"
    assert refused.value.params == {"date": "2026-09-01", "period": "2026-09"}


def test_a_later_step_of_a_document_in_a_closed_month_is_booked_today():
    assert booking_date(date(2026, 10, 30), TODAY, OCTOBER) == TODAY
    assert booking_date(date(2026, 11, 2), TODAY, OCTOBER) == date(2026, 11, 2)
    assert booking_date(date(2026, 10, 30), TODAY, None) == date(2026, 10, 30)


def test_months_close_in_order_once_they_have_ended():
    check_can_close(SEPTEMBER, None, TODAY, None)  # nothing posted: any ended month
    check_can_close(SEPTEMBER, None, TODAY, SEPTEMBER)
    check_can_close(Period(2026, 8), None, TODAY, SEPTEMBER)  # empty before the first posting
    check_can_close(OCTOBER, SEPTEMBER, TODAY, None)

    with pytest.raises(Invalid) as not_ended:
        check_can_close(NOVEMBER, OCTOBER, TODAY, None)
    with pytest.raises(Conflict) as again:
        check_can_close(SEPTEMBER, OCTOBER, TODAY, None)
    with pytest.raises(Conflict) as skipping:
        check_can_close(OCTOBER, Period(2026, 8), TODAY, None)
    with pytest.raises(Conflict) as skipping_the_first:
        check_can_close(OCTOBER, None, TODAY, Period(2026, 8))

    assert not_ended.value.code == "period.not_ended"
    assert again.value.code == "period.already_closed"
    assert (skipping.value.code, skipping.value.params) == (
        "period.close_out_of_order",
        {"period": "2026-10", "expected": "2026-09"},
    )
    assert skipping_the_first.value.params == {"period": "2026-10", "expected": "2026-08"}


def test_a_month_ending_today_is_not_yet_closable():
    with pytest.raises(Invalid):
        check_can_close(NOVEMBER, OCTOBER, date(2026, 11, 30), None)
    check_can_close(NOVEMBER, OCTOBER, date(2026, 12, 1), None)


def test_only_the_latest_closed_month_reopens_and_only_with_a_reason():
    check_can_reopen(OCTOBER, OCTOBER, "补录漏记的入库单")

    with pytest.raises(Conflict) as not_latest:
        check_can_reopen(SEPTEMBER, OCTOBER, "x")
    with pytest.raises(Conflict) as not_closed:
        check_can_reopen(NOVEMBER, OCTOBER, "x")
    with pytest.raises(Invalid) as no_reason:
        check_can_reopen(OCTOBER, OCTOBER, "   ")

    assert not_latest.value.params == {"period": "2026-09", "latest": "2026-10"}
    assert not_closed.value.code == "period.not_closed"
    assert no_reason.value.code == "period.reason_required"


SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("moment", "zone", "day"),
    [
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), SHANGHAI, date(2026, 11, 27)),
        (datetime(2026, 11, 26, 15, 59, tzinfo=UTC), SHANGHAI, date(2026, 11, 26)),
        (datetime(2026, 11, 26, 16, 0, tzinfo=UTC), SHANGHAI, date(2026, 11, 27)),
        (datetime(2026, 11, 27, 3, 0, tzinfo=UTC), NEW_YORK, date(2026, 11, 26)),
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), ZoneInfo("UTC"), date(2026, 11, 26)),
    ],
)
def test_the_company_day_is_the_day_in_its_time_zone(moment, zone, day):
    assert company_day(moment, zone) == day


def test_a_company_time_is_the_wall_clock_in_its_zone():
    at_nine = company_time(date(2026, 11, 26), time(9), SHANGHAI)
    assert at_nine.astimezone(UTC) == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert company_day(at_nine, SHANGHAI) == date(2026, 11, 26)
    assert company_day(at_nine, NEW_YORK) == date(2026, 11, 25)


def test_a_business_date_after_the_company_day_is_refused_and_names_both():
    check_plausible(TODAY, TODAY)
    with pytest.raises(Invalid) as ahead:
        check_plausible(date(2026, 11, 26), TODAY)
    assert ahead.value.params == {"date": "2026-11-26", "today": "2026-11-25"}


def test_a_business_date_before_2000_is_refused_as_a_mistyped_year():
    check_plausible(date(2000, 1, 1), TODAY)
    with pytest.raises(Invalid) as early:
        check_plausible(date(26, 11, 20), TODAY)
    assert (early.value.code, early.value.params) == (
        "document.date_too_early",
        {"date": "0026-11-20", "earliest": "2000-01-01"},
    )


def test_a_machine_on_a_posix_tz_rule_keeps_its_offset():
    # TZ=CST-8 names no IANA zone (tzlocal refuses it); the machine's clock still runs at +8.
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "from datetime import UTC, datetime; from jxc.config import machine_zone; "
            "print(datetime(2026, 11, 26, 23, 30, tzinfo=UTC).astimezone(machine_zone()))",
        ],
        env={**os.environ, "TZ": "CST-8"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert shown == "2026-11-27 07:30:00+08:00"


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("UTC", "UTC"),
        ("+08:00", "UTC+08:00"),
        ("UTC-03:30", "UTC-03:30"),
        ("UTC+00:00", "UTC"),
        ("UTC+8", "UTC+08:00"),
        ("utc-05:30", "UTC-05:30"),
        ("UTC+14:00", "UTC+14:00"),
    ],
)
def test_a_zone_is_kept_by_a_name_that_reads_back_as_the_same_zone(name, kept):
    zone = zone_named(name)
    assert zone_name(zone) == kept
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert moment.astimezone(zone_named(kept)).utcoffset() == moment.astimezone(zone).utcoffset()


def test_a_machine_zone_without_a_known_name_is_kept_as_its_offset_now():
    assert zone_name(timezone(timedelta(hours=8), "CST")) == "UTC+08:00"
    with (resources.files("tzdata.zoneinfo") / "Asia" / "Tokyo").open("rb") as tokyo:
        unnamed = ZoneInfo.from_file(tokyo, key="local")  # as tzlocal reads /etc/localtime
    assert zone_name(unnamed) == "UTC+09:00"


@pytest.mark.parametrize(
    "name", ["Asia/Beijing", "UTC+24:00", "+08:60", "08:00", "", "/etc/passwd"]
)
def test_a_name_of_no_zone_is_refused(name):
    with pytest.raises(ValueError, match=f"^{re.escape(name)}$"):
        zone_named(name)
