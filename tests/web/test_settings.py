"""Settings pages for admins: users and roles, the negative-stock switch, workflows.

Each change is made through the same service as its `jxc` command, so it is permitted to
the same people, lands on the audit trail, and a refusal says why on the page.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from jxc.asgi import create_server
from jxc.domain.workflow import DOCUMENT_TYPES
from jxc.queries import audit
from jxc.queries import catalog as catalog_queries
from jxc.queries import users as user_queries
from jxc.services import documents, workflows
from jxc.services.workflows import shipped_source
from tests.builders import PASSWORD, a_user, a_warehouse, an_item, snapshot
from tests.web.helpers import login_form_token, page_csrf, web_client


@pytest.fixture
def shop(app):
    for code in ("WH1", "WH2"):
        a_warehouse(app, code)
    a_user(app, "boss", "admin")
    a_user(app, "manager", "warehouse_manager", "WH1")
    a_user(app, "clerk1", "warehouse_clerk", "WH1")
    an_item(app, "螺丝")
    return app


def post(client, path, **form):
    return client.post(path, data={**form, "csrf": page_csrf(client)}, follow_redirects=False)


def grants_of(app, username):
    with app.reader() as connection:
        (person,) = [p for p in user_queries.users(connection) if p.username == username]
    return {(grant.role.value, grant.warehouse) for grant in person.grants}


def test_an_admin_adds_a_user_who_can_then_sign_in_where_they_were_given_a_role(shop):
    admin = web_client(shop, "boss")

    added = post(
        admin,
        "/settings/users",
        username="clerk3",
        display_name="<b>王五</b>",
        password=PASSWORD,
        role="warehouse_clerk",
        warehouse="WH2",
    )
    page = admin.get("/settings/users")

    assert added.status_code == 303, added.text
    assert grants_of(shop, "clerk3") == {("warehouse_clerk", "WH2")}
    assert "&lt;b&gt;王五&lt;/b&gt;" in page.text  # a name is shown as text
    assert web_client(shop, "clerk3").get("/").status_code == 200


def test_a_refused_new_user_is_named_on_the_page_with_what_was_typed(shop):
    admin = web_client(shop, "boss")
    before = snapshot(shop)

    refused = post(
        admin, "/settings/users", username="clerk1", password=PASSWORD, role="warehouse_clerk"
    )

    assert refused.status_code == 422
    assert "用户名 clerk1 已被占用" in refused.text
    assert snapshot(shop) == before


def test_roles_are_granted_and_taken_away_and_both_are_on_the_audit_trail(shop):
    admin = web_client(shop, "boss")

    post(admin, "/settings/users/clerk1/grants", role="warehouse_manager", warehouse="WH2")
    after_grant = grants_of(shop, "clerk1")
    post(
        admin,
        "/settings/users/clerk1/grants",
        role="warehouse_clerk",
        warehouse="WH1",
        revoke="true",
    )

    assert after_grant == {("warehouse_clerk", "WH1"), ("warehouse_manager", "WH2")}
    assert grants_of(shop, "clerk1") == {("warehouse_manager", "WH2")}
    with shop.reader() as connection:
        actions = [event.action for event in audit.log(connection, actor="boss")]
    assert actions[-2:] == ["user.grant", "user.revoke"]


def test_a_disabled_user_is_signed_out_at_once(shop):
    admin, clerk = web_client(shop, "boss"), web_client(shop, "clerk1")

    assert post(admin, "/settings/users/clerk1/active", active="false").status_code == 303

    assert clerk.get("/", follow_redirects=False).headers["location"] == "/login"


def test_signing_in_leads_back_to_the_page_asked_for_and_never_off_the_site(shop):
    visitor = TestClient(create_server(shop), raise_server_exceptions=False)

    sent = visitor.get("/stock?item=螺丝-M3", follow_redirects=False).headers["location"]
    encoded = visitor.get("/documents/A%23B", follow_redirects=False).headers["location"]
    form = visitor.get(sent).text
    token = login_form_token(visitor)

    def sign_in(then):
        answer = visitor.post(
            "/login",
            data={"username": "clerk1", "password": PASSWORD, "csrf": token, "next": then},
            follow_redirects=False,
        )
        return answer.headers["location"]

    asked = "/stock?item=%E8%9E%BA%E4%B8%9D-M3"  # 螺丝-M3, as the browser sent it
    assert parse_qs(urlsplit(sent).query) == {"next": [asked]}
    assert f'<input type="hidden" name="next" value="{asked}">' in form
    assert sign_in(asked) == asked
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in(elsewhere) == "/"
    assert parse_qs(urlsplit(encoded).query) == {"next": ["/documents/A%23B"]}  # not A#B


def test_an_admin_cannot_disable_their_own_account(shop):
    admin = web_client(shop, "boss")
    post(admin, "/settings/users/tester/active", active="false")

    refused = post(admin, "/settings/users/boss/active", active="false")

    assert refused.status_code == 422
    assert "boss 不能停用自己的账号，请由另一位管理员操作" in refused.text
    assert grants_of(shop, "boss") == {("admin", None)}
    assert admin.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_a_clerk_sees_no_settings_and_cannot_post_to_them(shop):
    clerk = web_client(shop, "clerk1")
    before = snapshot(shop)

    page = clerk.get("/settings/users")
    posted = post(clerk, "/settings/users", username="x", password=PASSWORD, role="admin")

    assert page.status_code == 403
    assert posted.status_code == 403
    assert "用户 clerk1 无权" in posted.text
    assert 'href="/settings"' not in clerk.get("/").text
    assert snapshot(shop) == before


def test_a_warehouse_manager_switches_negative_stock_in_their_own_warehouse_only(shop):
    manager = web_client(shop, "manager")

    page = manager.get("/settings/warehouses")
    allowed = post(manager, "/settings/warehouses/WH1/negative-stock", allow="true")
    refused = post(manager, "/settings/warehouses/WH2/negative-stock", allow="true")

    assert page.status_code == 200
    assert "WH2" not in page.text
    assert allowed.status_code == 303
    assert refused.status_code == 422
    with shop.reader() as connection:
        switches = {w.code: w.allow_negative_stock for w in catalog_queries.warehouses(connection)}
    assert switches == {"WH1": True, "WH2": False}


def test_an_admin_installs_a_workflow_and_a_broken_one_is_refused_naming_its_line(shop):
    admin = web_client(shop, "boss")
    source = shipped_source("sop", "issue")

    broken = post(
        admin, "/settings/workflows/install", source=source.replace("to: ", "to: nowhere_", 1)
    )
    installed = post(admin, "/settings/workflows/install", source=source)

    assert broken.status_code == 422
    assert "nowhere_" in broken.text
    assert installed.status_code == 303
    assert workflows.flow(shop.uow(), "boss", "issue")[0].name == "sop"
    assert workflows.flow(shop.uow(), "boss", "receipt")[0].name == "simple"


def test_an_admin_switches_every_document_type_to_a_shipped_set(shop):
    admin = web_client(shop, "boss")

    assert post(admin, "/settings/workflows/use", set_name="sop").status_code == 303

    page = admin.get("/settings/workflows")
    assert page.text.count('class="workflow"') == len(DOCUMENT_TYPES)
    assert all(workflows.flow(shop.uow(), "boss", kind)[0].name == "sop" for kind in DOCUMENT_TYPES)


def test_a_settings_write_without_the_pages_csrf_token_is_refused(shop):
    admin = web_client(shop, "boss")

    forged = admin.post(
        "/settings/warehouses/WH1/negative-stock", data={"allow": "true", "csrf": "x"}
    )

    assert forged.status_code == 403


def test_a_workflow_that_would_strand_documents_on_their_way_is_refused(shop):
    admin = web_client(shop, "boss")
    post(admin, "/settings/workflows/use", set_name="sop")
    documents.create(
        shop.uow(),
        "tester",
        {
            "document_type": "receipt",
            "warehouse": "WH1",
            "lines": [{"item": "螺丝", "quantity": 1, "unit_cost": 1}],
        },
        then="submit",
    )
    before = snapshot(shop)

    refused = post(admin, "/settings/workflows/use", set_name="simple")

    assert refused.status_code == 422
    assert "还有 1 张入库单处于新流程没有的状态：审核中" in refused.text
    assert snapshot(shop) == before


def test_what_the_system_did_is_shown_as_the_system_in_the_users_language(shop):
    admin = web_client(shop, "boss")
    with shop.reader() as connection:
        actors = {event.actor for event in audit.log(connection, limit=10_000)}
    assert "system" in actors  # the base data, installed when the database was made

    page = admin.get("/audit?limit=1000")
    assert page.status_code == 200
    assert "<td>系统</td>" in page.text
    assert "<td>system</td>" not in page.text


def test_the_audit_log_is_in_the_menu_of_those_who_may_read_it_only(shop):
    a_user(shop, "auditor", "auditor")
    for username, shown in (("boss", True), ("auditor", True), ("clerk1", False)):
        home = web_client(shop, username).get("/")
        assert ('href="/audit"' in home.text) is shown, username
    assert web_client(shop, "clerk1").get("/audit").status_code == 403


def test_a_refused_new_user_keeps_the_role_and_warehouse_chosen_never_all_warehouses(shop):
    admin = web_client(shop, "boss")
    refused = post(
        admin,
        "/settings/users",
        username="xiaoqian",
        display_name="小钱",
        password="123",
        role="warehouse_clerk",
        warehouse="WH2",
    )
    assert refused.status_code == 422
    assert "密码至少需要 8 个字符" in refused.text
    form = refused.text.split('name="username"')[1]
    assert '<option value="warehouse_clerk" selected>' in form
    assert "<option selected>WH2</option>" in form
    assert '<option value="">' + "全部仓库" + "</option>" in form  # offered, not chosen


def test_the_documents_page_pages_its_list_and_names_a_state_in_words(shop, monkeypatch):
    from jxc.web import pages

    monkeypatch.setattr(pages, "LIST_LIMIT", 2)
    for _ in range(3):
        documents.create(
            shop.uow(),
            "tester",
            {
                "document_type": "receipt",
                "warehouse": "WH1",
                "lines": [{"item": "螺丝", "quantity": 1}],
            },
            post=True,
        )
    admin = web_client(shop, "boss")
    listed = admin.get("/documents")
    assert listed.text.count('<a href="/documents/RK') == 2
    assert '<a href="/documents?page=2" rel="next">较早 ›</a>' in listed.text
    assert admin.get("/documents?state=已过账").text.count('<a href="/documents/RK') == 2
    unknown = admin.get("/documents?state=xyz")
    assert unknown.status_code == 422
    assert "没有「xyz」这个单据状态；可用状态：" in unknown.text
    assert 'rel="next">较早 ›</a>' in admin.get("/audit").text
