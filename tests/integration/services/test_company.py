"""The company's time zone is kept in its database: every process agrees on the day."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text, update

from jxc.bootstrap import App, build, upgrade
from jxc.config import Settings
from jxc.db.schema import CompanySetting
from jxc.domain.errors import Forbidden, Invalid
from jxc.domain.periods import zone_name
from jxc.i18n.messages import translate
from jxc.queries import audit as audit_queries
from jxc.queries import documents as document_queries
from jxc.services import auth, company, workflows
from tests.builders import a_user, a_warehouse, an_item, create, refused

FIVE_PM_UTC = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 01:00 on the 27th in 上海


@contextmanager
def process(url: str, timezone: str | None = None) -> Iterator[App]:
    """What another program on this database sees, started with JXC_TIMEZONE=timezone."""
    started = build(Settings(database_url=url, timezone=timezone))
    started.clock = lambda: FIVE_PM_UTC
    try:
        yield started
    finally:
        started.dispose()


def test_the_zone_of_the_process_that_made_the_database_is_every_later_processs(
    empty_database_url,
):
    with (
        process(empty_database_url, "Asia/Shanghai") as founder,
        process(empty_database_url, "America/New_York") as other,
        process(empty_database_url) as unset,
    ):
        upgrade(founder)
        for app in (founder, other, unset):
            assert zone_name(app.zone) == "Asia/Shanghai"
            assert app.today() == date(2026, 11, 27)  # still the 26th in New York
        assert other.timezone_ignored() == ("America/New_York", "Asia/Shanghai")
        assert founder.timezone_ignored() is None
        assert unset.timezone_ignored() is None

        upgrade(other)  # jxc init again, from New York: the kept zone stays
        with process(empty_database_url) as later:
            assert zone_name(later.zone) == "Asia/Shanghai"


def test_a_script_in_another_zone_numbers_and_dates_documents_on_the_company_day(
    empty_database_url,
):
    with (
        process(empty_database_url, "Asia/Shanghai") as founder,
        process(empty_database_url, "America/New_York") as script,
    ):
        upgrade(founder)
        auth.create_first_admin(founder.uow(), "tester", "tester-password")
        workflows.use(founder.uow(), "tester", "simple")
        warehouse, item = a_warehouse(founder), an_item(founder)

        made = create(script, "receipt", warehouse, {"item": item.code, "quantity": "1"})

        assert made.number.startswith("RK20261127")
        with script.reader() as connection:
            header = document_queries.document(connection, made.number)[0]
        assert header.business_date == date(2026, 11, 27)


def test_an_admin_changes_the_zone_once_per_request_and_the_change_is_audited(app):
    url = app.settings.database_url
    assert company.set_timezone(app.uow(), "tester", "America/Los_Angeles", "tz-1") == (
        "America/Los_Angeles"
    )
    assert company.set_timezone(app.uow(), "tester", "America/Los_Angeles", "tz-1") == (
        "America/Los_Angeles"
    )
    with process(url) as later:
        assert zone_name(later.zone) == "America/Los_Angeles"
        assert later.today() == date(2026, 11, 26)
    with app.reader() as connection:
        changes = audit_queries.log(connection, action="company.set_timezone")
    assert [(e.actor, json.loads(e.payload)["to"]) for e in changes][1:] == [
        ("tester", "America/Los_Angeles")
    ]
    assert changes[0].actor == "system"  # the zone jxc init kept, the first time

    assert company.set_timezone(app.uow(), "tester", " +08:00 ") == "UTC+08:00"
    with process(url) as later:
        assert later.today() == date(2026, 11, 27)


@pytest.mark.parametrize("given", ["Mars/Olympus", "Asia/Beijing", "UTC+25:00", "../etc/passwd"])
def test_a_name_of_no_zone_is_refused_naming_it_and_the_zone_stays(app, given):
    with process(app.settings.database_url) as before:
        kept = zone_name(before.zone)
    with refused(app, Invalid) as caught:
        company.set_timezone(app.uow(), "tester", given)
    assert caught.value.code == "company.timezone_unknown"
    told = translate(caught.value.code, "zh_CN", **caught.value.params)
    assert told.startswith(f"{given} 不是时区")
    with process(app.settings.database_url) as after:
        assert zone_name(after.zone) == kept


def test_only_an_admin_changes_the_zone(app):
    clerk = a_user(app, "clerk", "warehouse_clerk")
    with refused(app, Forbidden) as caught:
        company.set_timezone(app.uow(), clerk, "Asia/Tokyo")
    assert caught.value.params["action"] == "company.manage"


def test_a_running_program_follows_a_change_made_by_another_at_its_next_transaction(app):
    with process(app.settings.database_url) as server:
        assert zone_name(server.zone) != "Pacific/Kiritimati"
        company.set_timezone(app.uow(), "tester", "Pacific/Kiritimati")  # from a script

        assert zone_name(server.zone) == "Pacific/Kiritimati"
        assert server.uow().today() == date(2026, 11, 27)  # 07:00 on the 27th there


def test_a_kept_zone_changed_by_hand_into_none_falls_back_and_can_be_set_again(app):
    with app.engine.begin() as connection:
        connection.execute(
            update(CompanySetting)
            .where(CompanySetting.name == "timezone")
            .values(value="Mars/Olympus")
        )
        connection.execute(text("UPDATE catalog_version SET version = version + 1"))
    assert app.zone == app.fallback_zone
    assert company.set_timezone(app.uow(), "tester", "Asia/Shanghai") == "Asia/Shanghai"
    assert zone_name(app.zone) == "Asia/Shanghai"
