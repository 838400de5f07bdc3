"""Users, roles and sign-in through the services: each role does only its part, in its
warehouses; a refused step names why and changes nothing; sign-in never says which part
was wrong and locks after repeated failures."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jxc.bootstrap import build
from jxc.config import Settings
from jxc.db.repositories import users
from jxc.domain.auth import LOCK_DURATION, MAX_FAILED_LOGINS, SESSION_DURATION, Role
from jxc.domain.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from jxc.queries import audit
from jxc.queries import users as user_queries
from jxc.services import auth, catalog, documents
from tests.builders import (
    PASSWORD,
    a_user,
    a_warehouse,
    an_item,
    assert_books_balance,
    create,
    receive,
    refused,
)


def actions(app, **filters):
    with app.reader() as connection:
        return [(e.actor, e.action, e.subject) for e in audit.log(connection, **filters)]


@pytest.fixture
def shop(app):
    """Two warehouses with screws in both, and a clerk of the first."""
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    an_item(app, "螺丝-M3")
    for code in ("WH1", "WH2"):
        receive(app, code, {"item": "螺丝-M3", "quantity": "10"})
    a_user(app, "clerk1", "warehouse_clerk", "WH1")
    return app


def test_a_clerk_posts_in_their_warehouse_and_is_refused_in_another_naming_it(shop):
    issued = create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "2"}, actor="clerk1")
    assert issued.state == "posted"

    with refused(shop, Forbidden) as caught:
        create(shop, "issue", "WH2", {"item": "螺丝-M3", "quantity": "2"}, actor="clerk1")

    assert caught.value.code == "auth.forbidden_document"
    assert caught.value.params == {
        "user": "clerk1",
        "action": "document.create",
        "document_type": "issue",
        "warehouse": "WH2",
    }


def test_a_draft_of_another_warehouse_cannot_be_posted_by_the_clerk(shop):
    draft = create(
        shop, "issue", "WH2", {"item": "螺丝-M3", "quantity": "1"}, post=False, actor="tester"
    )

    with refused(shop, Forbidden) as caught:
        documents.post(shop.uow(), "clerk1", draft.number)

    assert caught.value.code == "workflow.role_required"
    assert (caught.value.params["action"], caught.value.params["warehouse"]) == ("post", "WH2")


def test_a_transfer_is_received_by_the_destinations_clerk_not_the_senders(shop):
    a_user(shop, "clerk2", "warehouse_clerk", "WH2")
    shipped = create(
        shop,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "3"},
        to_warehouse="WH2",
        actor="clerk1",
    )

    with refused(shop, Forbidden) as caught:
        documents.receive(shop.uow(), "clerk1", shipped.number)
    received = documents.receive(shop.uow(), "clerk2", shipped.number, request_id="r-9")
    retried = documents.receive(shop.uow(), "clerk2", shipped.number, request_id="r-9")

    assert retried == received, "a retried receive gets its first answer back"
    assert caught.value.params["action"] == "receive"
    assert caught.value.params["warehouse"] == "WH2"
    assert received.state == "posted"
    assert_books_balance(shop)


def test_only_finance_or_a_manager_reverses(shop):
    posted = create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
    a_user(shop, "finance", "finance")

    with refused(shop, Forbidden):
        documents.reverse(shop.uow(), "clerk1", posted.number, post=True)
    reversal = documents.reverse(shop.uow(), "finance", posted.number, post=True)

    assert reversal.state == "posted"


def test_purchasing_creates_receipts_but_cannot_post_or_issue(shop):
    a_user(shop, "buyer", "purchaser")

    draft = create(
        shop, "receipt", "WH1", {"item": "螺丝-M3", "quantity": "5"}, post=False, actor="buyer"
    )
    with refused(shop, Forbidden):
        documents.post(shop.uow(), "buyer", draft.number)
    with refused(shop, Forbidden):
        create(
            shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, post=False, actor="buyer"
        )

    assert draft.state == "draft"
    documents.post(shop.uow(), "clerk1", draft.number)


def test_the_auditor_reads_everything_and_changes_nothing(shop):
    a_user(shop, "auditor", "auditor")

    with refused(shop, Forbidden):
        create(
            shop,
            "receipt",
            "WH1",
            {"item": "螺丝-M3", "quantity": "1"},
            post=False,
            actor="auditor",
        )
    with refused(shop, Forbidden):
        catalog.add_item(shop.uow(), "auditor", {"code": "X", "name": "X", "base_unit": "个"})
    with refused(shop, Forbidden):
        catalog.add_warehouse(shop.uow(), "auditor", {"code": "WH9", "name": "九号仓"})
    with refused(shop, Forbidden):
        catalog.set_negative_stock(shop.uow(), "auditor", "WH1", True)
    with refused(shop, Forbidden):
        auth.add_user(
            shop.uow(),
            "auditor",
            {"username": "x", "display_name": "x", "password": PASSWORD},
        )


def test_someone_who_is_not_a_user_cannot_act(shop):
    with refused(shop, Unauthenticated) as caught:
        create(shop, "receipt", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="stranger")

    assert (caught.value.code, caught.value.params) == ("auth.unknown_user", {"user": "stranger"})


def test_an_admin_adds_a_user_with_grants_in_some_warehouses(shop):
    auth.add_user(
        shop.uow(),
        "tester",
        {
            "username": "clerk.both",
            "display_name": "仓管员 王五",
            "password": "螺丝刀-2026",
            "grants": [
                {"role": "warehouse_clerk", "warehouse": "WH1"},
                {"role": "warehouse_clerk", "warehouse": "WH2"},
            ],
        },
    )

    with shop.reader() as connection:
        (found,) = [u for u in user_queries.users(connection) if u.username == "clerk.both"]
    assert found.display_name == "仓管员 王五"
    assert [(g.role, g.warehouse) for g in found.grants] == [
        (Role.WAREHOUSE_CLERK, "WH1"),
        (Role.WAREHOUSE_CLERK, "WH2"),
    ]
    create(
        shop,
        "transfer",
        "WH1",
        {"item": "螺丝-M3", "quantity": "1"},
        to_warehouse="WH2",
        actor="clerk.both",
    )
    assert ("tester", "user.add", "clerk.both") in actions(shop)


@pytest.mark.parametrize(
    ("change", "error", "code"),
    [
        ({"username": "clerk1"}, Conflict, "auth.username_taken"),
        ({"username": "CLERK1"}, Conflict, "auth.username_taken"),  # one name, read aloud
        ({"password": "short"}, Invalid, "auth.password_too_short"),
        ({"password": "New.User"}, Invalid, "auth.password_is_username"),
        (
            {"grants": [{"role": "warehouse_clerk", "warehouse": "WH9"}]},
            NotFound,
            "warehouse.unknown",
        ),
        ({"grants": [{"role": "boss"}]}, Invalid, "value.not_allowed"),
    ],
)
def test_a_user_that_cannot_be_added_is_refused_naming_why(shop, change, error, code):
    data = {"username": "new.user", "display_name": "新人", "password": PASSWORD, **change}

    with refused(shop, error) as caught:
        auth.add_user(shop.uow(), "tester", data)

    assert caught.value.code == code


def test_the_first_admin_is_made_only_once(shop):
    with refused(shop, Conflict) as caught:
        auth.create_first_admin(shop.uow(), "another", PASSWORD)

    assert caught.value.code == "auth.users_exist"


def test_a_grant_lets_a_clerk_work_in_another_warehouse_until_it_is_revoked(shop):
    auth.grant(shop.uow(), "tester", "clerk1", Role.WAREHOUSE_CLERK, "WH2")
    create(shop, "issue", "WH2", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")

    auth.revoke(shop.uow(), "tester", "clerk1", Role.WAREHOUSE_CLERK, "WH2")

    with refused(shop, Forbidden):
        create(shop, "issue", "WH2", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
    assert [a for a in actions(shop, actor="tester") if a[2] == "clerk1"][-2:] == [
        ("tester", "user.grant", "clerk1"),
        ("tester", "user.revoke", "clerk1"),
    ]


def test_a_grant_given_twice_or_revoked_when_absent_is_refused(shop):
    with refused(shop, Conflict) as twice:
        auth.grant(shop.uow(), "tester", "clerk1", Role.WAREHOUSE_CLERK, "WH1")
    with refused(shop, NotFound) as absent:
        auth.revoke(shop.uow(), "tester", "clerk1", Role.FINANCE)

    assert twice.value.code == "auth.grant_exists"
    assert absent.value.code == "auth.grant_unknown"


def test_a_clerk_cannot_grant_themselves_more(shop):
    with refused(shop, Forbidden):
        auth.grant(shop.uow(), "clerk1", "clerk1", Role.ADMIN)


# signing in --------------------------------------------------------------------------------


def test_signing_in_gives_a_session_that_names_its_user_until_logout(shop):
    session = auth.login(shop.uow(), "clerk1", PASSWORD)

    assert auth.session_user(shop.uow(), session.token) == "clerk1"
    auth.logout(shop.uow(), session.token)
    with pytest.raises(Unauthenticated) as ended:
        auth.session_user(shop.uow(), session.token)

    assert ended.value.code == "auth.session_ended"
    assert actions(shop, actor="clerk1")[-2:] == [
        ("clerk1", "user.login", "clerk1"),
        ("clerk1", "user.logout", "clerk1"),
    ]


def test_a_session_expires_after_seven_days(shop):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    shop.clock = lambda: now
    session = auth.login(shop.uow(), "clerk1", PASSWORD)

    shop.clock = lambda: now + SESSION_DURATION + timedelta(seconds=1)

    with pytest.raises(Unauthenticated):
        auth.session_user(shop.uow(), session.token)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer_and_are_recorded(shop):
    with pytest.raises(Unauthenticated) as wrong_password:
        auth.login(shop.uow(), "clerk1", "not-the-password")
    with pytest.raises(Unauthenticated) as unknown_user:
        auth.login(shop.uow(), "nobody", PASSWORD)

    assert (wrong_password.value.code, wrong_password.value.params) == ("auth.failed", {})
    assert (unknown_user.value.code, unknown_user.value.params) == ("auth.failed", {})
    # Recorded as anonymous: a name typed at the prompt proves nothing about who typed it.
    assert actions(shop, action="user.login_failed") == [
        ("anonymous", "user.login_failed", "clerk1"),
        ("anonymous", "user.login_failed", "nobody"),
    ]


def test_five_failures_in_a_row_lock_the_account_for_fifteen_minutes(shop):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    shop.clock = lambda: now
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Unauthenticated):
            auth.login(shop.uow(), "clerk1", "guess")

    with pytest.raises(Unauthenticated) as locked:
        auth.login(shop.uow(), "clerk1", PASSWORD)  # even the right password waits
    shop.clock = lambda: now + LOCK_DURATION
    session = auth.login(shop.uow(), "clerk1", PASSWORD)

    assert locked.value.code == "auth.locked"
    assert locked.value.params == {"user": "clerk1", "until": "2026-11-25 09:15"}
    assert auth.session_user(shop.uow(), session.token) == "clerk1"


def test_a_name_nobody_has_locks_the_same_way_so_locking_tells_no_names(shop):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    shop.clock = lambda: now
    shop.zone = ZoneInfo("Asia/Shanghai")  # the lock's end is told on the company's clock
    answers = {}
    for name in ("clerk1", "nobody"):
        for _ in range(MAX_FAILED_LOGINS + 1):
            with pytest.raises(Unauthenticated) as answer:
                auth.login(shop.uow(), name, "guess")
        answers[name] = (answer.value.code, answer.value.params["until"])
    shop.clock = lambda: now + LOCK_DURATION
    with pytest.raises(Unauthenticated) as after_the_lock:
        auth.login(shop.uow(), "nobody", "guess")

    assert answers == {
        "clerk1": ("auth.locked", "2026-11-25 17:15"),
        "nobody": ("auth.locked", "2026-11-25 17:15"),
    }
    assert after_the_lock.value.code == "auth.failed"
    assert actions(shop)[-2:] == [
        ("anonymous", "user.login_locked", "nobody"),
        ("anonymous", "user.login_failed", "nobody"),
    ]


def test_a_success_clears_earlier_failures(shop):
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(Unauthenticated):
            auth.login(shop.uow(), "clerk1", "guess")
    auth.login(shop.uow(), "clerk1", PASSWORD)

    with pytest.raises(Unauthenticated) as again:
        auth.login(shop.uow(), "clerk1", "guess")

    assert again.value.code == "auth.failed", "one failure after a success does not lock"


def test_a_disabled_user_can_neither_sign_in_nor_act_and_loses_their_sessions(shop):
    session = auth.login(shop.uow(), "clerk1", PASSWORD)

    auth.set_active(shop.uow(), "tester", "clerk1", False)

    with pytest.raises(Unauthenticated):
        auth.session_user(shop.uow(), session.token)
    with pytest.raises(Unauthenticated) as signing_in:
        auth.login(shop.uow(), "clerk1", PASSWORD)
    with refused(shop, Unauthenticated):
        create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
    assert signing_in.value.code == "auth.failed"
    auth.set_active(shop.uow(), "tester", "clerk1", True)
    auth.login(shop.uow(), "clerk1", PASSWORD)


def test_a_session_just_used_is_refused_at_once_when_this_process_ends_it(shop):
    for end in (
        lambda token: auth.revoke_token(shop.uow(), "tester", token.id),
        lambda token: auth.set_active(shop.uow(), "tester", "clerk1", False),
    ):
        auth.set_active(shop.uow(), "tester", "clerk1", True)
        token = auth.issue_token(shop.uow(), "tester", {"user": "clerk1", "name": "收银台"})
        assert auth.session_user(shop.uow(), token.token) == "clerk1"  # remembered now

        end(token)

        with pytest.raises(Unauthenticated):
            auth.session_user(shop.uow(), token.token)


def test_a_session_ended_by_another_process_is_refused_once_the_remembered_one_is_stale(
    shop, database_url, monkeypatch
):
    other = build(Settings(database_url=database_url))  # its own cache, like another process
    try:
        monkeypatch.setattr(users, "SESSION_CACHE_S", 3600.0)  # so this test never waits
        session = auth.login(shop.uow(), "clerk1", PASSWORD)
        assert auth.session_user(other.uow(), session.token) == "clerk1"
        auth.logout(shop.uow(), session.token)

        assert auth.session_user(other.uow(), session.token) == "clerk1"  # remembered
        monkeypatch.setattr(users, "SESSION_CACHE_S", 0.0)
        with pytest.raises(Unauthenticated):
            auth.session_user(other.uow(), session.token)
    finally:
        other.dispose()


def test_changing_ones_own_password_needs_the_current_one_and_ends_every_session(shop):
    session = auth.login(shop.uow(), "clerk1", PASSWORD)

    with pytest.raises(Unauthenticated):
        auth.set_password(shop.uow(), "clerk1", "clerk1", "螺丝刀-2027", current="wrong")
    auth.set_password(shop.uow(), "clerk1", "clerk1", "螺丝刀-2027", current=PASSWORD)

    with pytest.raises(Unauthenticated):
        auth.session_user(shop.uow(), session.token)
    with pytest.raises(Unauthenticated):
        auth.login(shop.uow(), "clerk1", PASSWORD)
    auth.login(shop.uow(), "clerk1", "螺丝刀-2027")


def test_only_a_user_manager_sets_someone_elses_password_which_also_lifts_a_lock(shop):
    a_user(shop, "clerk2", "warehouse_clerk", "WH2")
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Unauthenticated):
            auth.login(shop.uow(), "clerk1", "guess")

    with refused(shop, Forbidden):
        auth.set_password(shop.uow(), "clerk2", "clerk1", "螺丝刀-2027")
    auth.set_password(shop.uow(), "tester", "clerk1", "螺丝刀-2027")

    assert auth.login(shop.uow(), "clerk1", "螺丝刀-2027").username == "clerk1"


def test_a_grant_revoked_or_a_user_disabled_elsewhere_counts_in_the_next_transaction(
    shop, database_url
):
    other = build(Settings(database_url=database_url))  # its own cache, like another process
    try:
        create(other, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
        auth.revoke(shop.uow(), "tester", "clerk1", Role.WAREHOUSE_CLERK, "WH1")

        with refused(other, Forbidden):
            create(other, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
        auth.set_active(shop.uow(), "tester", "clerk1", False)
        with refused(other, Unauthenticated):
            create(other, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
    finally:
        other.dispose()


def test_a_wrong_current_password_counts_as_a_failed_sign_in_and_waits_out_the_lock(shop):
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Unauthenticated):
            auth.set_password(shop.uow(), "clerk1", "clerk1", "螺丝刀-2027", current="guess")

    with pytest.raises(Unauthenticated) as locked:
        auth.set_password(shop.uow(), "clerk1", "clerk1", "螺丝刀-2027", current=PASSWORD)

    assert locked.value.code == "auth.locked"
    assert actions(shop)[-1] == ("anonymous", "user.login_locked", "clerk1")
    with pytest.raises(Unauthenticated):
        auth.login(shop.uow(), "clerk1", "螺丝刀-2027")  # the password did not change


def test_after_a_lock_runs_out_counting_starts_afresh(shop):
    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    shop.clock = lambda: now
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(Unauthenticated):
            auth.login(shop.uow(), "clerk1", "guess")
    shop.clock = lambda: now + LOCK_DURATION

    with pytest.raises(Unauthenticated) as one_more:
        auth.login(shop.uow(), "clerk1", "guess")

    assert one_more.value.code == "auth.failed", "one failure after the lock does not relock"
    auth.login(shop.uow(), "clerk1", PASSWORD)


def test_someone_elses_password_is_refused_before_saying_whether_they_exist(shop):
    with refused(shop, Forbidden):
        auth.set_password(shop.uow(), "clerk1", "nobody", "螺丝刀-2027")
    with refused(shop, Forbidden):
        auth.set_password(shop.uow(), "clerk1", "tester", "螺丝刀-2027")


@pytest.mark.parametrize("name", ["system", "Anonymous"])
def test_the_names_the_system_records_itself_under_are_not_for_users(shop, name):
    with refused(shop, Invalid) as caught:
        auth.add_user(
            shop.uow(), "tester", {"username": name, "display_name": name, "password": PASSWORD}
        )

    assert caught.value.code == "auth.username_reserved"


def test_the_last_admin_cannot_be_revoked_and_no_admin_disables_themselves(shop):
    with refused(shop, Conflict) as revoked:
        auth.revoke(shop.uow(), "tester", "tester", Role.ADMIN)
    with refused(shop, Conflict) as disabled:
        auth.set_active(shop.uow(), "tester", "tester", False)

    assert revoked.value.code == "auth.last_admin"
    assert disabled.value.code == "auth.disable_self"
    a_user(shop, "second.admin", "admin")
    with refused(shop, Conflict) as still_self:
        auth.set_active(shop.uow(), "second.admin", "second.admin", False)
    assert still_self.value.code == "auth.disable_self"
    auth.set_active(shop.uow(), "second.admin", "tester", False)  # another admin may
    auth.revoke(shop.uow(), "second.admin", "tester", Role.ADMIN)


def test_a_long_typed_user_name_is_recorded_cut_to_the_subject_column(shop):
    typed = "某" * 300

    with pytest.raises(Unauthenticated):
        auth.login(shop.uow(), typed, PASSWORD)

    (recorded,) = [a for a in actions(shop) if a[1] == "user.login_failed"]
    assert recorded[2] == typed[:200]


def test_signing_in_never_holds_up_a_posting(shop):
    """The argon2 check runs outside any transaction: postings go on during a guessing spree
    (on SQLite, holding the one write lock through it made postings give up)."""
    stop = threading.Event()

    def guess():
        while not stop.is_set():
            with contextlib.suppress(Unauthenticated):
                auth.login(shop.uow(), "nobody", "guess")

    guessers = [threading.Thread(target=guess) for _ in range(2)]
    for guesser in guessers:
        guesser.start()
    try:
        for _ in range(10):
            create(shop, "issue", "WH1", {"item": "螺丝-M3", "quantity": "1"}, actor="clerk1")
    finally:
        stop.set()
        for guesser in guessers:
            guesser.join()
    assert_books_balance(shop)
