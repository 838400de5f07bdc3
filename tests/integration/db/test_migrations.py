"""Alembic migrations and exact numbers in storage, on SQLite and PostgreSQL.

The migrations are the schema's only author: an empty database upgraded to head has
exactly the tables ``jxc.db.schema`` declares, autogenerate finds nothing to change,
downgrade removes them all, and re-running the upgrade (``jxc init`` twice) keeps the
data. ``ExactDecimal`` keeps quantities and money exact (invariant 6) on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, Table, insert, inspect, select
from sqlalchemy.exc import StatementError
from typer.testing import CliRunner

from jxc.bootstrap import (
    App,
    alembic_config,
    build,
    current_revision,
    upgrade,
)
from jxc.cli.main import app as jxc_cli
from jxc.config import Settings
from jxc.db.bulk import Bulk
from jxc.db.schema import Base, Document, Warehouse
from jxc.db.types import ExactDecimal
from jxc.db.uow import connect
from jxc.domain.errors import Invalid
from jxc.domain.quantities import MAX_QUANTITY
from jxc.domain.workflow import DOCUMENT_TYPES
from jxc.queries import audit, stock_levels
from jxc.services import auth, documents, replenishment, workflows
from tests.builders import (
    a_warehouse,
    an_item,
    assert_books_balance,
    issue,
    receive,
    snapshot,
)
from tests.conftest import TESTER, TESTER_PASSWORD

JXC_TABLES = set(Base.metadata.tables)


@pytest.fixture
def empty_app(empty_database_url: str) -> Iterator[App]:
    application = build(Settings(database_url=empty_database_url, user="tester"))
    yield application
    application.dispose()


def one_step_admin(app: App) -> None:
    """The tester admin, on the one-step workflow these storage tests post with."""
    auth.create_first_admin(app.uow(), TESTER, TESTER_PASSWORD)
    workflows.use(app.uow(), TESTER, "simple")


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def tables(app: App) -> set[str]:
    with connect(app.engine) as connection:
        return set(inspect(connection).get_table_names())


def downgrade(app: App, revision: str = "base") -> None:
    config = alembic_config()
    with connect(app.engine) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        connection.commit()


def schema_differences(app: App) -> list[object]:
    with connect(app.engine) as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


# migrations ------------------------------------------------------------------------------


def test_an_empty_database_upgraded_to_head_has_every_table_and_the_head_revision(empty_app):
    assert tables(empty_app) == set()
    assert current_revision(empty_app) is None

    upgrade(empty_app)

    assert tables(empty_app) == JXC_TABLES | {"alembic_version"}
    assert current_revision(empty_app) == head()
    one_step_admin(empty_app)
    warehouse, item = a_warehouse(empty_app), an_item(empty_app)
    receive(empty_app, warehouse, {"item": item.code, "quantity": "3"})
    assert_books_balance(empty_app)


def test_the_migrated_schema_matches_the_declared_tables_exactly(empty_app):
    upgrade(empty_app)

    assert schema_differences(empty_app) == []


def test_downgrading_to_base_removes_every_table_even_with_data_and_upgrading_again_works(
    empty_app,
):
    upgrade(empty_app)
    one_step_admin(empty_app)
    warehouse, item = a_warehouse(empty_app), an_item(empty_app)
    receive(empty_app, warehouse, {"item": item.code, "quantity": "3", "unit_cost": "2.50"})
    issue(empty_app, warehouse, {"item": item.code, "quantity": "1"})

    downgrade(empty_app)

    assert tables(empty_app) - {"alembic_version"} == set()
    assert current_revision(empty_app) is None

    upgrade(empty_app)

    assert tables(empty_app) == JXC_TABLES | {"alembic_version"}
    assert current_revision(empty_app) == head()
    assert schema_differences(empty_app) == []
    assert snapshot(empty_app)["counts"]["stock_ledger_entry"] == 0


def test_upgrading_a_database_already_at_head_keeps_its_data(app):
    warehouse, clock = a_warehouse(app), an_item(app, "RETRO-CLOCK")
    receive(app, warehouse, {"item": clock.code, "quantity": "7", "unit_cost": "12.345678"})
    before = snapshot(app)

    upgrade(app)
    upgrade(app)

    assert current_revision(app) == head()
    assert snapshot(app) == before
    with app.reader() as connection:
        assert stock_levels.on_hand(connection, clock.code, warehouse).on_hand == 7
    assert_books_balance(app)


def test_a_database_of_the_first_release_upgrades_keeping_its_stock_and_starts_its_audit_trail(
    empty_app,
):
    upgrade(empty_app, "0001")  # the stock ledger core, before the audit trail existed
    with connect(empty_app.engine) as connection:
        connection.execute(
            insert(Warehouse).values(
                code="一号仓",
                name="一号仓",
                allow_negative_stock=False,
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
        connection.commit()

    upgrade(empty_app)

    assert current_revision(empty_app) == head()
    with empty_app.reader() as connection:
        assert connection.execute(select(Warehouse.code)).scalars().all() == ["一号仓"]
        chain = audit.chain_report(connection)
        initialized, *installed, zone_kept = audit.log(connection)
    assert (chain.ok, chain.events) == (True, 2 + len(DOCUMENT_TYPES))
    assert (initialized.actor, initialized.action) == ("system", "catalog.initialize")
    assert {(event.action, event.subject) for event in installed} == {
        ("workflow.install", kind) for kind in DOCUMENT_TYPES
    }
    # the zone of the process that upgraded, as the company's: what it ran on before
    assert (zone_kept.action, zone_kept.subject) == ("company.set_timezone", "timezone")
    one_step_admin(empty_app)
    a_warehouse(empty_app)
    assert_books_balance(empty_app)


def test_a_database_with_documents_keeps_one_step_posting_when_it_upgrades(empty_app):
    upgrade(empty_app, "0004")  # before workflows existed
    made = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    with connect(empty_app.engine) as connection:
        warehouse_id = connection.execute(
            insert(Warehouse)
            .values(code="一号仓", name="一号仓", allow_negative_stock=False, created_at=made)
            .returning(Warehouse.id)
        ).scalar_one()
        connection.execute(  # only the columns revision 0004 has
            insert(Document).values(
                number="RK202611020001",
                document_type="receipt",
                state="draft",
                business_date=date(2026, 11, 2),
                warehouse_id=warehouse_id,
                created_by="tester",
                created_at=made,
            )
        )
        connection.commit()

    upgrade(empty_app)

    installed = workflows.installed(empty_app.uow())
    assert {(stored.document_type, stored.name) for stored, _ in installed} == {
        (kind, "simple") for kind in DOCUMENT_TYPES
    }
    with empty_app.reader() as connection:
        state, since = connection.execute(select(Document.state, Document.state_since)).one()
    assert (state, since) == ("draft", made)
    auth.create_first_admin(empty_app.uow(), TESTER, TESTER_PASSWORD)
    voided = documents.act(empty_app.uow(), TESTER, "RK202611020001", "void")
    assert voided.state == "cancelled"


def test_alerts_published_before_episodes_existed_are_not_published_again_on_upgrade(empty_app):
    upgrade(empty_app)
    one_step_admin(empty_app)
    warehouse, item = a_warehouse(empty_app), an_item(empty_app)
    receive(empty_app, warehouse, {"item": item.code, "quantity": "3"})
    replenishment.set_levels(
        empty_app.uow(),
        TESTER,
        {"item": item.code, "warehouse": warehouse, "reorder_point": "5", "max_quantity": "9"},
    )
    assert replenishment.publish_alerts(empty_app.uow(), TESTER) == 1
    downgrade(empty_app, "0016")  # a database of the release before, its alert published

    upgrade(empty_app)

    assert replenishment.publish_alerts(empty_app.uow(), TESTER) == 0
    receive(empty_app, warehouse, {"item": item.code, "quantity": "3"})  # 6: cleared
    assert replenishment.publish_alerts(empty_app.uow(), TESTER) == 0
    issue(empty_app, warehouse, {"item": item.code, "quantity": "2"})  # 4: back again
    assert replenishment.publish_alerts(empty_app.uow(), TESTER) == 1


def test_jxc_init_twice_creates_the_database_then_changes_nothing(empty_database_url):
    runner = CliRunner()
    arguments = ["--db", empty_database_url, "--lang", "en", "init", "--admin", TESTER]
    env = {"JXC_ADMIN_PASSWORD": TESTER_PASSWORD}

    first = runner.invoke(jxc_cli, arguments, env=env)
    assert first.exit_code == 0, first.output
    assert f"First admin {TESTER} created" in first.output
    application = build(Settings(database_url=empty_database_url, user="tester"))
    try:
        workflows.use(application.uow(), TESTER, "simple")
        warehouse, item = a_warehouse(application), an_item(application)
        receive(application, warehouse, {"item": item.code, "quantity": "5"})
        before = snapshot(application)

        second = runner.invoke(jxc_cli, arguments, env=env)

        assert second.exit_code == 0, second.output
        assert head() in second.output
        assert "First admin" not in second.output
        assert snapshot(application) == before
        assert current_revision(application) == head()
    finally:
        application.dispose()


# exact numbers in storage ----------------------------------------------------------------

QUANTITY_SCALE, MONEY_SCALE = 6, 2
# SQLite keeps ExactDecimal as a scaled signed 64-bit integer: ±9223372036854775807 units
# of the last decimal. PostgreSQL's NUMERIC(30, scale) holds more; these fit both.
LARGEST_QUANTITY = Decimal("9223372036854.775807")
LARGEST_MONEY = Decimal("92233720368547758.07")


@pytest.fixture
def probe(app: App) -> Iterator[tuple[object, Table]]:
    """A temporary table with a quantity and a money column, on one connection."""
    metadata = MetaData()
    table = Table(
        "exact_decimal_probe",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("quantity", ExactDecimal(QUANTITY_SCALE)),
        Column("money", ExactDecimal(MONEY_SCALE)),
        prefixes=["TEMPORARY"],
    )
    with connect(app.engine) as connection:
        metadata.create_all(connection)
        yield connection, table
        connection.rollback()


@pytest.mark.parametrize(
    ("quantity", "money"),
    [
        ("0.000001", "0.01"),
        ("-0.000001", "-0.01"),
        ("0", "0"),
        ("1.5", "1.5"),
        ("999999999999.999999", "9999999999.99"),
        (str(MAX_QUANTITY), "1234567890123456.78"),
        (str(LARGEST_QUANTITY), str(LARGEST_MONEY)),
        (str(-LARGEST_QUANTITY - Decimal("0.000001")), str(-LARGEST_MONEY - Decimal("0.01"))),
    ],
)
def test_exact_decimal_gives_back_exactly_what_was_stored_at_its_scale(probe, quantity, money):
    connection, table = probe

    connection.execute(insert(table).values(quantity=Decimal(quantity), money=Decimal(money)))
    stored = connection.execute(select(table.c.quantity, table.c.money)).one()

    assert stored.quantity == Decimal(quantity)
    assert stored.money == Decimal(money)
    # The same text on every engine: always the column's number of decimals.
    assert stored.quantity.as_tuple().exponent == -QUANTITY_SCALE
    assert stored.money.as_tuple().exponent == -MONEY_SCALE


@pytest.mark.parametrize(
    ("column", "value"),
    [("quantity", "0.0000005"), ("quantity", "1.0000015"), ("money", "0.005"), ("money", "-2.675")],
)
def test_exact_decimal_refuses_a_value_with_more_decimals_than_its_scale(
    probe, backend, request, column, value
):
    connection, table = probe

    with pytest.raises(StatementError, match="decimals"):
        connection.execute(insert(table).values({column: Decimal(value)}))


def test_bulk_writes_each_row_exactly_converting_a_value_shared_by_every_row_once(probe):
    connection, table = probe
    shared = Decimal("2.50")
    rows = [{"quantity": Decimal(n) / 4, "money": shared} for n in range(5)]
    rows.append({"quantity": None, "money": shared})

    Bulk(insert(table), ["quantity", "money"]).run(connection, rows)

    stored = connection.execute(select(table.c.quantity, table.c.money).order_by(table.c.id))
    assert [tuple(row) for row in stored] == [(r["quantity"], r["money"]) for r in rows]


def test_bulk_refuses_a_row_its_column_types_refuse_naming_that_row(probe, backend):
    connection, table = probe
    rows = [{"quantity": Decimal(1), "money": Decimal("1.00")} for _ in range(3)]
    rows[1] = {"quantity": Decimal("0.0000001"), "money": Decimal("1.00")}

    with pytest.raises(StatementError, match="decimals") as refused:
        Bulk(insert(table), ["quantity", "money"]).run(connection, rows)

    # SQLite: the row itself; PostgreSQL (SQLAlchemy's executemany): every row.
    named = refused.value.params
    assert named == rows[1] if backend == "sqlite" else rows[1] in named
    assert connection.execute(select(table)).all() == []


def test_the_smallest_and_largest_quantities_a_unit_allows_post_and_read_back_exactly(app):
    warehouse = a_warehouse(app)
    steel = an_item(app, "钢材-Q235", base_unit="t")  # tonnes: 6 decimals
    receive(
        app,
        warehouse,
        {"item": steel.code, "quantity": "0.000001", "unit_cost": "999999.999999"},
        {"item": steel.code, "quantity": "999999999999.999999", "unit_cost": "0.000001"},
    )
    issue(app, warehouse, {"item": steel.code, "quantity": "999999999999.999998"})

    with app.reader() as connection:
        level = stock_levels.on_hand(connection, steel.code, warehouse)
    assert level.on_hand == Decimal("0.000002")
    assert_books_balance(app)


def test_a_line_worth_more_than_the_maximum_amount_is_refused_naming_its_unit_cost(app):
    warehouse = a_warehouse(app)
    gold = an_item(app, "金条-1KG")
    before = snapshot(app)

    line = {"item": gold.code, "quantity": str(MAX_QUANTITY), "unit_cost": str(MAX_QUANTITY)}
    with pytest.raises(Invalid) as refused:
        receive(app, warehouse, line)

    assert refused.value.code == "amount.too_large"
    assert refused.value.params["pointer"] == "/lines/1/unit_cost"
    assert snapshot(app) == before


def test_on_hand_beyond_what_the_engine_stores_exactly_is_refused_cleanly(app, backend):
    warehouse = a_warehouse(app)
    steel = an_item(app, "钢材-Q345", base_unit="t")
    for _ in range(9):
        receive(app, warehouse, {"item": steel.code, "quantity": str(MAX_QUANTITY)})
    before = snapshot(app)

    # 10^13 t: a 64-bit integer of millionths holds at most about 9.2 * 10^12 (SQLite).
    if backend == "sqlite":
        with pytest.raises(Invalid) as refused:
            receive(app, warehouse, {"item": steel.code, "quantity": str(MAX_QUANTITY)})
        assert refused.value.code == "number.out_of_range"
        assert snapshot(app) == before
    else:
        receive(app, warehouse, {"item": steel.code, "quantity": str(MAX_QUANTITY)})
        with app.reader() as connection:
            level = stock_levels.on_hand(connection, steel.code, warehouse)
        assert level.on_hand == 10 * MAX_QUANTITY
    assert_books_balance(app)
