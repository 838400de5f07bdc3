"""The REST API over the real services: status codes, problem+json, auth and scopes.

Every route is driven through FastAPI's TestClient on each storage engine; errors come
back as RFC 9457 problems in the language the request asks for, pointing at each field.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from jxc.api.app import create_app
from jxc.api.deps import MAX_BODY_BYTES
from jxc.asgi import create_server
from jxc.bootstrap import head_revision
from jxc.config import SESSION_COOKIE
from jxc.domain.auth import csrf_token
from jxc.domain.errors import Forbidden, NotFound
from jxc.queries import documents as document_queries
from jxc.services import auth, workflows
from tests.builders import PASSWORD, a_user, a_warehouse, an_item, receive, snapshot
from tests.conftest import TESTER, TESTER_PASSWORD
from tests.web.helpers import page_csrf
from tests.web.helpers import signed_in as signed_in_on_the_web

PROBLEM = "application/problem+json"


@pytest.fixture
def shop(sop):
    """WH1 and WH2 on the SOP; clerks and a manager in WH1, a clerk in WH2, an auditor."""
    for code in ("WH1", "WH2"):
        a_warehouse(sop, code)
    an_item(sop, "螺丝-M3")
    a_user(sop, "clerk1", "warehouse_clerk", "WH1")
    a_user(sop, "clerk2", "warehouse_clerk", "WH1")
    a_user(sop, "manager", "warehouse_manager", "WH1")
    a_user(sop, "clerk.wh2", "warehouse_clerk", "WH2")
    a_user(sop, "auditor", "auditor")
    return sop


@pytest.fixture
def client(shop):
    with TestClient(create_app(shop), raise_server_exceptions=False) as test_client:
        yield test_client


def signed_in(client, username, password=PASSWORD, language="zh-CN"):
    response = client.post("/api/v1/sessions", json={"username": username, "password": password})
    assert response.status_code == 201, response.text
    return {
        "Authorization": f"Bearer {response.json()['token']}",
        "Accept-Language": language,
    }


SCREWS = {"item": "螺丝-M3", "quantity": "100", "unit_cost": "2.00"}


def a_receipt(client, headers, *lines, **header):
    body = {"document_type": "receipt", "warehouse": "WH1", "lines": list(lines or [SCREWS])}
    response = client.post("/api/v1/documents", json={**body, **header}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["number"]


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == f"/problems/{body['code']}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


@pytest.mark.parametrize(
    ("quantity", "code"),
    [
        ("1.0000000000000001", "quantity.too_precise"),  # a float would read 1.0
        ("1e400", "field.not_written_out"),  # a float would read inf
        ("1e999999999", "field.not_written_out"),  # refused before anything expands it
        ("9" * 5000, "request.json_invalid"),  # more digits than Python reads
        ("NaN", "request.json_invalid"),  # not JSON, though Python reads it
    ],
)
def test_a_quantity_sent_as_a_json_number_is_read_exactly_not_as_a_float(client, quantity, code):
    headers = signed_in(client, "clerk1")
    body = (
        '{"document_type": "receipt", "warehouse": "WH1", '
        f'"lines": [{{"item": "螺丝-M3", "quantity": {quantity}, "unit_cost": 2}}]}}'
    )

    sent = client.post(
        "/api/v1/documents",
        content=body.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )

    assert sent.status_code == 422, sent.text
    assert code in sent.text
    whole = body.replace(quantity, "12")
    made = client.post(
        "/api/v1/documents",
        content=whole.encode(),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert made.status_code == 201, made.text


# health, sessions --------------------------------------------------------------------------


def test_the_server_is_alive_and_ready_on_a_current_schema(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "revision": head_revision()}


def test_signing_in_gives_a_token_that_acts_as_the_user_where_they_work(client):
    headers = signed_in(client, "clerk1")

    me = client.get("/api/v1/me", headers=headers)

    assert me.json() == {
        "username": "clerk1",
        "grants": [{"role": "warehouse_clerk", "warehouse": "WH1"}],
        "warehouses": ["WH1"],
    }


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(client):
    wrong = client.post("/api/v1/sessions", json={"username": "clerk1", "password": "guess"})
    nobody = client.post("/api/v1/sessions", json={"username": "nobody", "password": "guess"})

    for response in (wrong, nobody):
        body = problem(response, 401)
        assert (body["code"], body["params"]) == ("auth.failed", {})
        assert response.headers["www-authenticate"] == "Bearer"
    assert wrong.json()["title"] == nobody.json()["title"]


def test_without_a_token_the_answer_is_in_the_language_asked_for(client):
    chinese = problem(client.get("/api/v1/me"), 401)
    english = problem(client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"}), 401)

    assert chinese["code"] == english["code"] == "auth.token_required"
    assert chinese["title"].startswith("请先登录")
    assert english["title"].startswith("Sign in first")


def test_a_token_stops_working_once_signed_out(client):
    headers = signed_in(client, "clerk1")

    assert client.delete("/api/v1/sessions/current", headers=headers).status_code == 204
    assert problem(client.get("/api/v1/me", headers=headers), 401)["code"] == "auth.session_ended"


# the SOP over HTTP ---------------------------------------------------------------------------


def test_a_receipt_walks_the_five_steps_through_the_api(client):
    clerk, manager = signed_in(client, "clerk1"), signed_in(client, "manager")
    clerk2 = signed_in(client, "clerk2")
    number = a_receipt(client, clerk, note="到货")

    refused = client.post(f"/api/v1/documents/{number}/approve", headers=clerk)
    steps = [
        (clerk, "submit", None),
        (manager, "approve", None),
        (clerk, "execute", None),
        (clerk2, "verify", None),
        (manager, "archive", None),
    ]
    states = []
    for headers, action, body in steps:
        response = client.post(f"/api/v1/documents/{number}/{action}", headers=headers, json=body)
        assert response.status_code == 200, response.text
        states.append(response.json()["state"])
        if action == "execute":  # who executed may not verify, and reads why
            read = client.get(f"/api/v1/documents/{number}", headers=clerk).json()
            assert read["actions"] == []
            assert read["withheld_actions"] == {
                "verify": f"clerk1 已对单据 {number} 执行过「执行」，「核对」须由另一人完成"
            }
            own = client.post(f"/api/v1/documents/{number}/verify", headers=clerk)
            assert problem(own, 403)["code"] == "workflow.same_person"

    assert problem(refused, 409)["code"] == "workflow.transition_not_allowed"
    assert states == ["pending", "approved", "executed", "verified", "archived"]
    stock = client.get("/api/v1/stock/WH1/螺丝-M3", headers=clerk).json()
    assert stock == {
        "item": "螺丝-M3",
        "warehouse": "WH1",
        "on_hand": "100",
        "reserved": "0",
        "available": "100",
    }
    shown = client.get(f"/api/v1/documents/{number}", headers=clerk).json()
    assert shown["document"]["state"] == "archived"
    assert shown["document"]["note"] == "到货"
    assert [line["quantity"] for line in shown["lines"]] == ["100"]
    assert [(e["actor"], e["action"]) for e in shown["history"]] == [
        ("clerk1", "document.create"),
        ("clerk1", "document.submit"),
        ("manager", "document.approve"),
        ("clerk1", "document.execute"),
        ("clerk2", "document.verify"),
        ("manager", "document.archive"),
    ]
    assert (shown["actions"], shown["withheld_actions"]) == ([], {})


def test_a_clerk_cannot_approve_and_is_told_who_can(client):
    clerk = signed_in(client, "clerk1")
    number = a_receipt(client, clerk)
    client.post(f"/api/v1/documents/{number}/submit", headers=clerk)

    body = problem(client.post(f"/api/v1/documents/{number}/approve", headers=clerk), 403)

    assert body["code"] == "workflow.role_required"
    assert "仓库主管" in body["title"]


def test_a_rejection_needs_a_reason_and_the_clerk_edits_and_resubmits(client):
    clerk, manager = signed_in(client, "clerk1"), signed_in(client, "manager")
    number = a_receipt(client, clerk)
    client.post(f"/api/v1/documents/{number}/submit", headers=clerk)

    without = client.post(f"/api/v1/documents/{number}/reject", headers=manager)
    rejected = client.post(
        f"/api/v1/documents/{number}/reject", headers=manager, json={"reason": "单价不对"}
    )
    edited = client.patch(
        f"/api/v1/documents/{number}",
        headers=clerk,
        json={"lines": [{"item": "螺丝-M3", "quantity": "100", "unit_cost": "1.80"}]},
    )
    again = client.post(f"/api/v1/documents/{number}/submit", headers=clerk)

    assert problem(without, 422)["code"] == "workflow.reason_required"
    assert rejected.json()["state"] == "rejected"
    assert (edited.status_code, edited.json()["state"]) == (200, "rejected")
    assert again.json()["state"] == "pending"


def test_an_approved_issue_reserves_and_the_stock_shows_it(client):
    clerk, manager = signed_in(client, "clerk1"), signed_in(client, "manager")
    receipt = a_receipt(client, clerk)
    for headers, action in ((clerk, "submit"), (manager, "approve"), (clerk, "execute")):
        client.post(f"/api/v1/documents/{receipt}/{action}", headers=headers)
    issue = client.post(
        "/api/v1/documents",
        headers=clerk,
        json={
            "document_type": "issue",
            "warehouse": "WH1",
            "note": "产线领料",
            "lines": [{"item": "螺丝-M3", "quantity": "30"}],
        },
    ).json()["number"]
    client.post(f"/api/v1/documents/{issue}/submit", headers=clerk)
    client.post(f"/api/v1/documents/{issue}/approve", headers=manager)

    stock = client.get("/api/v1/stock/WH1/螺丝-M3", headers=clerk).json()

    assert (stock["on_hand"], stock["reserved"], stock["available"]) == ("100", "30", "70")


# bad input -----------------------------------------------------------------------------------


def test_every_bad_field_and_line_is_pointed_at_at_once(client):
    clerk = signed_in(client, "clerk1", language="en")

    response = client.post(
        "/api/v1/documents",
        headers=clerk,
        json={
            "document_type": "receipt",
            "warehouse": "WH1",
            "lines": [
                {"item": "没有这个", "quantity": "1"},
                {"item": "螺丝-M3", "quantity": "-5"},
                {"item": "螺丝-M3", "quantity": "2", "unit": "箱"},
            ],
        },
    )

    body = problem(response, 422)
    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [
        ("/lines/1/item", "item.unknown"),
        ("/lines/2/quantity", "quantity.not_positive"),
        ("/lines/3/unit", "unit.not_convertible"),
    ]
    assert body["errors"][0]["detail"] == "Item 没有这个 does not exist"
    with client.app.state.jxc.reader() as connection:
        assert document_queries.documents(connection) == []


def test_a_malformed_field_is_named_with_any_unknown_code_beside_it(client):
    clerk = signed_in(client, "clerk1")

    response = client.post(
        "/api/v1/documents",
        headers=clerk,
        json={
            "document_type": "receipt",
            "warehouse": "WH9",
            "lines": [
                {"item": "螺丝-M3", "quantity": "abc"},
                {"item": "没有这个", "quantity": "1"},
            ],
            "colour": "red",
        },
    )

    assert [(e["pointer"], e["code"]) for e in problem(response, 422)["errors"]] == [
        ("/colour", "field.unknown"),
        ("/warehouse", "warehouse.unknown"),
        ("/lines/1/quantity", "number.invalid"),
        ("/lines/2/item", "item.unknown"),
    ]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"{not json", "request.json_invalid"),
        (b"[1, 2]", "request.body_not_object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, content, code):
    clerk = signed_in(client, "clerk1")

    response = client.post(
        "/api/v1/documents",
        headers={**clerk, "Content-Type": "application/json"},
        content=content,
    )

    body = problem(response, 422)
    assert body["code"] == code
    if code == "request.body_not_object":
        assert body["title"] == "请求体必须是 JSON 对象"


def test_an_oversized_body_is_refused_before_it_is_read(client):
    clerk = signed_in(client, "clerk1")

    response = client.post(
        "/api/v1/documents",
        headers={**clerk, "Content-Type": "application/json"},
        content=b" " * (MAX_BODY_BYTES + 1),
    )

    assert problem(response, 413)["code"] == "request.too_large"


def test_a_chunked_body_without_a_length_is_cut_off_at_the_limit_too(client):
    clerk = signed_in(client, "clerk1")

    def chunks():
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b" " * 65536

    response = client.post(
        "/api/v1/documents",
        headers={**clerk, "Content-Type": "application/json"},
        content=chunks(),
    )

    assert problem(response, 413)["code"] == "request.too_large"


def test_an_unknown_route_and_a_wrong_method_are_problems_too(client):
    assert problem(client.get("/api/v1/nothing-here"), 404)["code"] == "request.route_unknown"
    assert problem(client.put("/api/v1/sessions"), 405)["code"] == "request.method_not_allowed"


def test_a_bad_query_parameter_is_named(client):
    clerk = signed_in(client, "clerk1")

    body = problem(client.get("/api/v1/documents?limit=0", headers=clerk), 422)

    assert [(e["pointer"], e["code"]) for e in body["errors"]] == [
        ("/query/limit", "value.below_minimum")
    ]
    assert body["errors"][0]["detail"] == "最多行数：0 小于允许的最小值 1"
    unknown = problem(client.get("/api/v1/documents?state=foo", headers=clerk), 422)
    assert unknown["code"] == "document.state_unknown"
    assert unknown["title"].startswith("没有「foo」这个单据状态；可用状态：")

    # a misspelt filter would answer as if none were given: it is named instead
    misspelt = problem(client.get("/api/v1/documents?stat=draft&limit=5", headers=clerk), 422)
    assert misspelt["code"] == "request.parameter_unknown"
    assert misspelt["title"].startswith("此请求不读取查询参数 stat；可用的参数：")
    assert "state" in misspelt["params"]["known"].split(", ")


def test_an_unexpected_failure_is_a_500_problem_with_the_request_id_and_no_traceback(
    client, monkeypatch
):
    clerk = signed_in(client, "clerk1")

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(document_queries, "documents", broken)
    response = client.get("/api/v1/documents", headers={**clerk, "X-Request-ID": "req-42"})

    body = problem(response, 500)
    assert body["code"] == "request.unexpected"
    assert body["request_id"] == "req-42"
    assert "secret" not in response.text
    assert "req-42" in body["title"]


# exactly once --------------------------------------------------------------------------------


def test_a_create_retried_with_its_idempotency_key_makes_one_document(client):
    clerk = signed_in(client, "clerk1")
    body = {"document_type": "receipt", "warehouse": "WH1", "lines": [SCREWS]}

    first = client.post("/api/v1/documents", json=body, headers={**clerk, "Idempotency-Key": "k1"})
    again = client.post("/api/v1/documents", json=body, headers={**clerk, "Idempotency-Key": "k1"})
    other = client.post(
        "/api/v1/documents",
        json={**body, "note": "different"},
        headers={**clerk, "Idempotency-Key": "k1"},
    )

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert problem(other, 409)["code"] == "request.idempotency_key_reused"
    with client.app.state.jxc.reader() as connection:
        assert len(document_queries.documents(connection)) == 1


def test_an_idempotency_key_of_another_user_is_refused_in_their_language(client):
    clerk, clerk2 = signed_in(client, "clerk1"), signed_in(client, "clerk2")
    body = {"document_type": "receipt", "warehouse": "WH1", "lines": [SCREWS]}
    first = client.post("/api/v1/documents", json=body, headers={**clerk, "Idempotency-Key": "k1"})

    other = client.post("/api/v1/documents", json=body, headers={**clerk2, "Idempotency-Key": "k1"})

    assert first.status_code == 201
    refused = problem(other, 409)
    assert refused["code"] == "request.idempotency_key_of_another_user"
    assert "已被其他用户使用" in refused["title"]
    assert first.json()["number"] not in other.text
    with client.app.state.jxc.reader() as connection:
        assert len(document_queries.documents(connection)) == 1


def test_a_double_click_on_approve_approves_once(client):
    clerk, manager = signed_in(client, "clerk1"), signed_in(client, "manager")
    number = a_receipt(client, clerk)
    client.post(f"/api/v1/documents/{number}/submit", headers=clerk)
    keyed = {**manager, "Idempotency-Key": "approve-once"}

    first = client.post(f"/api/v1/documents/{number}/approve", headers=keyed)
    second = client.post(f"/api/v1/documents/{number}/approve", headers=keyed)

    assert first.json() == second.json()
    history = client.get(f"/api/v1/documents/{number}", headers=manager).json()["history"]
    assert [e["action"] for e in history].count("document.approve") == 1


# scopes ---------------------------------------------------------------------------------------


def test_a_user_sees_nothing_of_a_warehouse_they_do_not_work_in(client):
    clerk = signed_in(client, "clerk1")
    outsider = signed_in(client, "clerk.wh2")
    number = a_receipt(client, clerk)

    listed = client.get("/api/v1/documents", headers=outsider).json()["items"]
    shown = client.get(f"/api/v1/documents/{number}", headers=outsider)
    stock = client.get("/api/v1/stock?warehouse=WH1", headers=outsider)
    one = client.get("/api/v1/stock/WH1/螺丝-M3", headers=outsider)
    acted = client.post(f"/api/v1/documents/{number}/submit", headers=outsider)
    traced = client.get(f"/api/v1/trace/documents/{number}", headers=outsider)

    assert listed == []
    assert problem(traced, 404)["code"] == "document.unknown"  # not an empty trace
    assert client.get(f"/api/v1/trace/documents/{number}", headers=clerk).status_code == 200
    assert problem(shown, 404)["code"] == "document.unknown"
    assert problem(stock, 404)["code"] == "warehouse.unknown"
    assert problem(one, 404)["code"] == "warehouse.unknown"
    assert problem(acted, 404)["code"] == "document.unknown"
    assert [
        d["number"] for d in client.get("/api/v1/documents", headers=clerk).json()["items"]
    ] == [number]


def test_only_those_who_read_the_audit_trail_get_it(client):
    clerk = signed_in(client, "clerk1")
    auditor = signed_in(client, "auditor")
    number = a_receipt(client, clerk)

    refused = client.get("/api/v1/audit-events", headers=clerk)
    events = client.get(f"/api/v1/audit-events?document={number}", headers=auditor)

    assert problem(refused, 403)["code"] == "auth.forbidden"
    assert [(e["actor"], e["action"], e["to_state"]) for e in events.json()] == [
        ("clerk1", "document.create", "draft")
    ]


def test_the_audit_trail_pages_to_older_events_before_a_sequence(client):
    auditor = signed_in(client, "auditor")
    clerk = signed_in(client, "clerk1")
    for _ in range(2):
        a_receipt(client, clerk)

    newest = client.get("/api/v1/audit-events?limit=2", headers=auditor).json()
    oldest_shown = newest[0]["sequence"]
    older = client.get(f"/api/v1/audit-events?limit=2&before={oldest_shown}", headers=auditor)

    assert [e["sequence"] for e in older.json()] == [oldest_shown - 2, oldest_shown - 1]
    for beyond in ("0", str(2**63)):  # past what the database stores: refused, not a 500
        assert problem(client.get(f"/api/v1/audit-events?before={beyond}", headers=auditor), 422)


def test_a_read_with_bad_parameters_names_them_without_saying_nothing_was_written(client):
    auditor = signed_in(client, "auditor")
    query = "/api/v1/audit-events?before=0&first_day=yesterday"

    read = problem(client.get(query, headers={**auditor, "Accept-Language": "zh-CN"}), 422)

    assert (read["code"], read["detail"]) == ("input.invalid_read", "请求中发现 2 处问题")
    assert {e["pointer"] for e in read["errors"]} == {"/query/before", "/query/first_day"}
    english = client.get(query, headers={**auditor, "Accept-Language": "en"}).json()
    assert english["detail"] == "2 problems found in the request"
    written = client.post("/api/v1/documents", json={"lines": "x"}, headers=auditor).json()
    assert "未写入任何数据" in written["detail"]


def test_every_span_of_days_is_from_and_to_the_old_spellings_still_read(client, shop):
    auditor = signed_in(client, "auditor")
    workflows.use(shop.uow(), TESTER, "simple")  # posted at once
    receive(shop, "WH1", {"item": "螺丝-M3", "quantity": "100", "unit_cost": "2"})
    today, tomorrow = shop.today(), shop.today() + timedelta(days=1)

    def events(query):
        return client.get(f"/api/v1/audit-events?{query}", headers=auditor)

    assert events(f"from={today}&to={today}").json()
    assert events(f"from={tomorrow}").json() == []
    assert events(f"first_day={tomorrow}").json() == []  # as once spelt
    assert events(f"from={today}&first_day={today}").json()
    twice = problem(events(f"from={today}&first_day={tomorrow}"), 422)
    assert twice["code"] == "request.parameter_twice"
    assert twice["detail"] == "first_day 是 from 的旧写法，两者的值不一致；只给 from 即可"

    ledger = "/api/v1/items/螺丝-M3/ledger?warehouse=WH1"
    later = client.get(f"{ledger}&from={tomorrow}", headers=auditor).json()
    assert (later["opening"], later["movements"]) == ("100", [])
    assert client.get(f"{ledger}&start={tomorrow}", headers=auditor).json() == later
    documented = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/audit-events", "/api/v1/items/{item}/ledger", "/api/v1/kpi"):
        parameters = documented[path]["get"]["parameters"]
        deprecated = {p["name"]: p.get("deprecated", False) for p in parameters}
        assert (deprecated["from"], deprecated["to"]) == (False, False), path


def test_a_change_feed_cursor_beyond_what_the_database_stores_is_refused(client):
    clerk = signed_in(client, "clerk1")

    refused = client.get(f"/api/v1/channels/TMALL/changes?since={2**63}", headers=clerk)

    assert problem(refused, 422)["code"] == "value.above_maximum"


# lists, the flow, the schema -------------------------------------------------------------


def test_document_lists_page_with_a_next_offset(client):
    clerk = signed_in(client, "clerk1")
    numbers = [a_receipt(client, clerk) for _ in range(3)]

    first = client.get("/api/v1/documents?limit=2", headers=clerk).json()
    last = client.get("/api/v1/documents?limit=2&offset=2", headers=clerk).json()

    assert [d["number"] for d in first["items"] + last["items"]] == numbers[::-1]
    assert (first["next_offset"], last["next_offset"]) == (2, None)


def test_the_sop_shows_live_counts_and_a_flowchart(client):
    clerk = signed_in(client, "clerk1", language="en")
    a_receipt(client, clerk)

    flow = client.get("/api/v1/sop/receipt", headers=clerk).json()

    counts = {state["state"]: state["count"] for state in flow["states"]}
    assert (flow["name"], counts["draft"], counts["pending"]) == ("sop", 1, 0)
    assert flow["mermaid"].startswith("flowchart LR")
    assert 'draft["Draft · 1"]' in flow["mermaid"]
    assert 'executed -.->|"reverse (red-letter)"| reversed' in flow["mermaid"]  # not 红冲
    assert problem(client.get("/api/v1/sop/nonsense", headers=clerk), 422)["code"] == (
        "value.not_allowed"
    )


def test_items_and_warehouses_are_listed(client):
    clerk = signed_in(client, "clerk1")

    items = client.get("/api/v1/items?search=螺丝", headers=clerk).json()
    warehouses = client.get("/api/v1/warehouses", headers=clerk).json()

    assert [item["code"] for item in items] == ["螺丝-M3"]
    assert {"WH1", "WH2"} <= {w["code"] for w in warehouses}


def test_the_openapi_schema_has_one_operation_id_per_route_and_typed_bodies(client):
    spec = client.get("/api/v1/openapi.json").json()

    operations = [
        operation["operationId"] for path in spec["paths"].values() for operation in path.values()
    ]
    create = spec["paths"]["/api/v1/documents"]["post"]["requestBody"]["content"]

    assert len(operations) == len(set(operations))
    assert {"documents-approve", "documents-execute", "documents-create"} <= set(operations)
    assert "lines" in create["application/json"]["schema"]["properties"]


# 流水账 and 追溯 ---------------------------------------------------------------------------


def executed_over_api(client, headers_by_step, number):
    for headers, action in headers_by_step:
        response = client.post(f"/api/v1/documents/{number}/{action}", headers=headers)
        assert response.status_code == 200, response.text


def test_an_items_ledger_runs_the_balance_and_a_batch_is_traced_within_the_readers_warehouses(
    client, shop
):
    an_item(shop, "奶粉", tracking="batch", shelf_life_days=360)
    clerk, manager = signed_in(client, "clerk1"), signed_in(client, "manager")
    flow = [(clerk, "submit"), (manager, "approve"), (clerk, "execute")]
    receipt = a_receipt(
        client,
        clerk,
        {
            "item": "奶粉",
            "quantity": "10",
            "unit_cost": "80",
            "batch": "B1",
            "production_date": "2026-11-01",
        },
    )
    executed_over_api(client, flow, receipt)
    transfer = client.post(
        "/api/v1/documents",
        headers=clerk,
        json={
            "document_type": "transfer",
            "warehouse": "WH1",
            "to_warehouse": "WH2",
            "lines": [{"item": "奶粉", "quantity": "4"}],
        },
    ).json()["number"]
    executed_over_api(client, flow, transfer)

    ledger = client.get("/api/v1/items/奶粉/ledger?warehouse=WH1", headers=clerk).json()
    everywhere = client.get("/api/v1/items/奶粉/ledger", headers=clerk)
    outsider = signed_in(client, "clerk.wh2")
    seen_from_wh2 = client.get("/api/v1/trace/batches/奶粉/B1", headers=outsider).json()
    seen_by_admin = client.get(
        "/api/v1/trace/batches/奶粉/B1", headers=signed_in(client, "tester", TESTER_PASSWORD)
    ).json()

    assert ledger["opening"] == "0"
    assert [(m["document"], m["change"], m["balance"]) for m in ledger["movements"]] == [
        (receipt, "10", "10"),
        (transfer, "-4", "6"),
    ]
    assert problem(everywhere, 422)["code"] == "field.required"
    assert [m["document"] for m in seen_by_admin["movements"]] == [receipt, transfer]
    # a trace reads no one warehouse: no change or balance of one, but whose goods they were
    moved = seen_by_admin["movements"][0]
    assert ("change" in moved, "balance" in moved, "partner" in moved) == (False, False, True)
    assert {"change", "balance", "partner"} <= set(ledger["movements"][0])
    # WH2 sees the goods coming its way (在途), not how they reached WH1.
    assert [(m["document"], m["to_location"]) for m in seen_from_wh2["movements"]] == [
        (transfer, "WH2/TRANSIT")
    ]


# API tokens for integrations -------------------------------------------------------------


def test_an_api_token_acts_for_an_integration_until_it_is_revoked(client, shop):
    issued = auth.issue_token(
        shop.uow(), TESTER, {"user": "clerk1", "name": "天猫同步", "days": 30}
    )
    headers = {"Authorization": f"Bearer {issued.token}"}

    before = client.get("/api/v1/me", headers=headers)
    auth.set_password(shop.uow(), TESTER, "clerk1", "a-new-password")
    after_new_password = client.get("/api/v1/me", headers=headers)
    auth.revoke_token(shop.uow(), TESTER, issued.id)
    after_revoke = client.get("/api/v1/me", headers=headers)

    assert before.json()["username"] == "clerk1"
    assert after_new_password.status_code == 200, "a new password does not cut off integrations"
    assert problem(after_revoke, 401)["code"] == "auth.session_ended"
    (listed,) = auth.tokens(shop.uow(), "auditor")
    assert (listed.id, listed.name, listed.username, listed.issued_by) == (
        issued.id,
        "天猫同步",
        "clerk1",
        TESTER,
    )
    assert listed.ended_at is not None
    assert issued.token not in str(auth.tokens(shop.uow(), TESTER))


def test_only_a_user_manager_issues_or_revokes_tokens_and_a_disabled_user_loses_them(client, shop):
    issued = auth.issue_token(shop.uow(), TESTER, {"user": "clerk1", "name": "WMS"})

    with pytest.raises(Forbidden):
        auth.issue_token(shop.uow(), "manager", {"user": "manager", "name": "mine"})
    with pytest.raises(Forbidden):
        auth.revoke_token(shop.uow(), "clerk1", issued.id)
    with pytest.raises(NotFound) as unknown:
        auth.revoke_token(shop.uow(), TESTER, "ffffffffffff")
    auth.set_active(shop.uow(), TESTER, "clerk1", False)

    assert unknown.value.code == "auth.token_unknown"
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert problem(response, 401)["code"] == "auth.session_ended"


def test_a_nul_character_is_refused_on_every_engine_not_a_server_error(client):
    clerk = signed_in(client, "clerk1")

    in_query = client.get("/api/v1/items?search=%00", headers=clerk)
    in_body = client.post(
        "/api/v1/documents",
        headers=clerk,
        json={"document_type": "receipt", "warehouse": "WH1", "note": "a\x00b", "lines": [SCREWS]},
    )

    assert problem(in_query, 422)["code"] == "text.nul_character"
    assert [(e["pointer"], e["code"]) for e in problem(in_body, 422)["errors"]] == [
        ("/note", "text.nul_character")
    ]


# the browser's session cookie ------------------------------------------------------------------


@pytest.fixture
def browser_client(shop):
    """The whole server (API and web), signed in through the web's sign-in form."""
    with TestClient(create_server(shop), raise_server_exceptions=False) as test_client:
        yield signed_in_on_the_web(test_client, "clerk1")


def test_a_browser_signed_in_on_the_web_reads_the_api_with_its_session_cookie(browser_client):
    me = browser_client.get("/api/v1/me")

    assert me.status_code == 200, me.text
    assert me.json()["username"] == "clerk1"


def test_a_browser_write_through_the_api_needs_its_pages_csrf_token(browser_client, shop):
    body = {"document_type": "receipt", "warehouse": "WH1", "lines": [SCREWS]}
    before = snapshot(shop)

    forged = browser_client.post("/api/v1/documents", json=body)
    wrong = browser_client.post(
        "/api/v1/documents", json=body, headers={"X-CSRF-Token": csrf_token("another")}
    )
    after_refusals = snapshot(shop)
    made = browser_client.post(
        "/api/v1/documents", json=body, headers={"X-CSRF-Token": page_csrf(browser_client)}
    )

    assert problem(forged, 403)["code"] == "auth.csrf_invalid"
    assert problem(wrong, 403)["code"] == "auth.csrf_invalid"
    assert after_refusals == before
    assert made.status_code == 201, made.text


def test_the_web_sign_in_form_without_its_csrf_token_signs_no_one_in(client, shop):
    server = TestClient(create_server(shop), raise_server_exceptions=False)
    server.get("/login")

    response = server.post(
        "/login",
        data={"username": "clerk1", "password": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert "表单已过期或来自其他网站，请刷新页面后重试" in response.text
    assert SESSION_COOKIE not in server.cookies


# exports -------------------------------------------------------------------------------------


def test_every_list_downloads_as_a_file_with_column_names_in_the_requests_language(client):
    headers = signed_in(client, "clerk1", language="en")
    a_receipt(client, headers)
    auditor = signed_in(client, "auditor")

    documents_file = client.get("/api/v1/documents?format=xlsx&limit=1", headers=headers)
    stock_file = client.get("/api/v1/stock?format=csv", headers=headers)
    audit_file = client.get("/api/v1/audit-events?format=csv", headers=auditor)

    assert documents_file.status_code == 200, documents_file.text
    assert documents_file.headers["content-disposition"] == 'attachment; filename="documents.xlsx"'
    sheet = load_workbook(io.BytesIO(documents_file.content)).active
    assert [cell.value for cell in sheet[1]][:3] == ["Document", "Type", "State"]
    assert stock_file.headers["content-type"] == "text/csv; charset=utf-8"
    assert audit_file.content.decode("utf-8-sig").startswith("序号,时间,")


def test_an_export_shows_only_the_readers_warehouses(client, shop):
    a_receipt(client, signed_in(client, "clerk1"))
    stranger = signed_in(client, "clerk.wh2")

    exported = client.get("/api/v1/documents?format=csv", headers=stranger)

    assert exported.status_code == 200
    assert exported.content.decode("utf-8-sig").splitlines()[1:] == []


def test_an_unknown_export_format_is_named(client):
    headers = signed_in(client, "clerk1")

    body = problem(client.get("/api/v1/documents?format=pdf", headers=headers), 422)

    assert body["errors"][0]["pointer"] == "/query/format"


def test_a_warehouses_locations_are_listed_to_those_who_work_there(client):
    clerk, stranger = signed_in(client, "clerk1"), signed_in(client, "clerk.wh2")

    listed = client.get("/api/v1/warehouses/WH1/locations", headers=clerk)
    hidden = client.get("/api/v1/warehouses/WH1/locations", headers=stranger)
    unknown = client.get(
        "/api/v1/warehouses/NOPE/locations", headers=signed_in(client, TESTER, TESTER_PASSWORD)
    )

    assert listed.status_code == 200, listed.text
    assert {row["code"] for row in listed.json()} >= {"STOCK"}
    assert {row["warehouse"] for row in listed.json()} == {"WH1"}
    assert problem(hidden, 404)["code"] == "warehouse.unknown"
    assert problem(unknown, 404)["code"] == "warehouse.unknown"


# partners ----------------------------------------------------------------------------------


def test_partners_are_added_listed_and_a_channel_shows_its_sellable_stock(client):
    admin = signed_in(client, TESTER, TESTER_PASSWORD)
    a_receipt(client, signed_in(client, "clerk1"))  # 100 screws in WH1, not yet executed
    channel = {
        "code": "TMALL",
        "name": "天猫旗舰店",
        "kind": "channel",
        "channel_kind": "online",
        "platform": "天猫",
        "warehouses": ["WH1"],
        "safety_buffer": "2",
    }

    added = client.post("/api/v1/partners", json=channel, headers=admin)
    listed = client.get("/api/v1/partners?kind=channel", headers=admin)
    stock = client.get("/api/v1/channels/TMALL/sellable", headers=admin)
    exported = client.get("/api/v1/partners?format=csv", headers=admin)

    assert added.status_code == 201, added.text
    assert added.json()["warehouses"] == ["WH1"]
    assert added.json()["safety_buffer"] == "2"
    assert [p["code"] for p in listed.json()] == ["TMALL"]
    assert stock.status_code == 200, stock.text
    assert stock.json() == []  # the receipt is not executed yet: nothing is on the shelf
    assert (
        exported.content.decode("utf-8-sig").splitlines()[1].startswith("TMALL,天猫旗舰店,销售渠道")
    )


def test_a_bad_partner_is_refused_naming_each_field(client):
    admin = signed_in(client, TESTER, TESTER_PASSWORD)

    malformed = client.post(
        "/api/v1/partners",
        json={"code": "X", "name": "X", "kind": "shop", "safety_buffer": "-1"},
        headers=admin,
    )
    inconsistent = client.post(
        "/api/v1/partners", json={"code": "X", "name": "X", "kind": "channel"}, headers=admin
    )
    forbidden = client.post(
        "/api/v1/partners",
        json={"code": "X", "name": "X", "kind": "customer"},
        headers=signed_in(client, "clerk1"),
    )
    unknown = client.get("/api/v1/partners/NOPE", headers=admin)

    assert {e["pointer"] for e in problem(malformed, 422)["errors"]} == {
        "/kind",
        "/safety_buffer",
    }
    assert {e["code"] for e in problem(inconsistent, 422)["errors"]} == {
        "partner.channel_kind_required",
        "partner.channel_warehouses_required",
    }
    assert problem(forbidden, 403)["code"] == "auth.forbidden"
    assert problem(unknown, 404)["code"] == "partner.unknown"


def test_a_problems_parameters_are_json_lists_not_python_text(client):
    clerk = signed_in(client, "clerk1")
    made = client.post(
        "/api/v1/documents",
        headers={**clerk, "Idempotency-Key": "tuple-1"},
        json={
            "document_type": "receipt",
            "warehouse": "WH1",
            "note": "到货",
            "lines": [{"item": "螺丝-M3", "quantity": "1", "unit_cost": "2"}],
        },
    )
    assert made.status_code == 201, made.text
    number = made.json()["number"]
    submitted = client.post(
        f"/api/v1/documents/{number}/submit", headers={**clerk, "Idempotency-Key": "tuple-2"}
    )
    assert submitted.status_code == 200, submitted.text
    edited = client.patch(
        f"/api/v1/documents/{number}",
        headers={**clerk, "Idempotency-Key": "tuple-3"},
        json={"note": "改"},
    )
    body = problem(edited, 409)
    assert body["code"] == "document.not_editable"
    assert body["params"]["states"] == ["draft", "rejected"]
