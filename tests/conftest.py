"""Test infrastructure: one migrated database per backend, a fresh copy per test.

``--db`` chooses the engines (sqlite, postgresql, all). PostgreSQL needs
``JXC_TEST_POSTGRESQL_URL`` (a server URL; each test process gets its own database);
when ``--db`` names postgresql and it cannot be reached, tests fail rather than skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from jxc.bootstrap import App, base_data, build, create_database, drop_database, upgrade
from jxc.config import Settings
from jxc.db.engine import normalize_url
from jxc.db.schema import Base
from jxc.domain.audit import GENESIS_HASH
from jxc.services import auth, workflows

POSTGRESQL_URL_VARIABLE = "JXC_TEST_POSTGRESQL_URL"
TESTER = "tester"  # every test database's first user, an admin of every warehouse
TESTER_PASSWORD = "tester-password"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db",
        default=None,
        choices=["sqlite", "postgresql", "all"],
        help="engines to run storage tests on (default: all if JXC_TEST_POSTGRESQL_URL is set)",
    )


def _backends(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--db") or (
        "all" if os.environ.get(POSTGRESQL_URL_VARIABLE) else "sqlite"
    )
    return ["sqlite", "postgresql"] if chosen == "all" else [chosen]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", _backends(metafunc.config), scope="session")


def pytest_report_header(config: pytest.Config) -> str:
    return f"jxc storage backends: {', '.join(_backends(config))}"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = build(Settings(database_url=f"sqlite:///{path}"))
    upgrade(app)
    _first_admin(app)
    app.dispose()
    return path


def _first_admin(app: App) -> None:
    """The tester admin; documents post in one step (``sop`` fixtures install the SOP)."""
    auth.create_first_admin(app.uow(), TESTER, TESTER_PASSWORD)
    workflows.use(app.uow(), TESTER, "simple")


def _server_admin(database_url: str, statement: str) -> None:
    server = database_url.rsplit("/", 1)[0]
    admin = create_engine(server + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


@pytest.fixture(scope="session")
def postgresql_app() -> Iterator[App]:
    """A migrated database of this pytest process's own (xdist workers and parallel runs
    never share one), dropped at the end."""
    server = os.environ.get(POSTGRESQL_URL_VARIABLE)
    if not server:
        pytest.fail(f"--db includes postgresql but {POSTGRESQL_URL_VARIABLE} is not set")
    name = f"jxc_test_{os.getpid()}"
    url = normalize_url(server).rsplit("/", 1)[0] + "/" + name
    _server_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _server_admin(url, f'CREATE DATABASE "{name}"')
    app = build(Settings(database_url=url))
    upgrade(app)
    yield app
    app.dispose()
    _server_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(app: App) -> None:
    """Empty every table; the catalog version only moves forward, so caches reload; the
    audit chain starts again from its genesis."""
    kept = ("catalog_version", "audit_chain")
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in kept)
    with app.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        connection.execute(text("UPDATE catalog_version SET version = version + 1"))
        connection.execute(
            text("UPDATE audit_chain SET last_sequence = 0, last_hash = :genesis"),
            {"genesis": GENESIS_HASH},
        )
    base_data(app)  # as upgrade does: both engines start alike
    _first_admin(app)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty, migrated JXC database on ``backend``, private to this test."""
    if backend == "sqlite":
        path = tmp_path / "jxc.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    app: App = request.getfixturevalue("postgresql_app")
    _truncate(app)
    return str(app.engine.url.render_as_string(hide_password=False))


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = build(Settings(database_url=database_url, user="tester"))
    yield application
    application.dispose()


@pytest.fixture
def empty_database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """A URL of a database with no tables at all, private to this test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: App = request.getfixturevalue("postgresql_app")
    url = create_database(
        server.engine.url.render_as_string(hide_password=False), f"_m{uuid.uuid4().hex[:8]}"
    )
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture
def sop(app: App) -> App:
    """``app`` on the shipped five-step SOP, as ``jxc init`` sets up a new database."""
    workflows.use(app.uow(), TESTER, "sop")
    return app
