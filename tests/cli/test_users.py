"""Signing in on the command line: init's first admin, login/whoami/logout, `--user` for
scripts, refusals with exit code 6 in both languages."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from typer.testing import CliRunner

from jxc.bootstrap import build
from jxc.cli.main import app
from jxc.config import Settings
from jxc.domain.auth import SESSION_DURATION
from jxc.queries import users as user_queries
from jxc.services import auth
from tests.cli.conftest import jxc
from tests.conftest import TESTER, TESTER_PASSWORD

runner = CliRunner()


def run(
    database_url: str,
    data_dir,
    *args: str,
    lang: str = "zh-CN",
    password: str | None = None,
    env: dict[str, str] | None = None,
) -> tuple[int, str]:
    result = runner.invoke(
        app,
        ["--db", database_url, "--lang", lang, *args],
        input=None if password is None else password + "\n",
        env={"JXC_DATA_DIR": str(data_dir), "JXC_USER": "", "JXC_PASSWORD": "", **(env or {})},
    )
    return result.exit_code, result.output


def test_init_makes_a_first_admin_whose_shown_password_signs_in(empty_database_url, tmp_path):
    code, output = run(empty_database_url, tmp_path, "init", lang="en")
    assert code == 0, output
    shown = re.search(r"First admin admin created with password (\S+) ", output)
    assert shown is not None, output

    code, output = run(empty_database_url, tmp_path, "login", "admin", password=shown.group(1))
    assert code == 0, output
    assert "已登录为 admin" in output

    code, output = run(empty_database_url, tmp_path, "whoami")
    assert (code, "admin (管理员): 管理员" in output) == (0, True), output


def test_login_tells_until_when_on_the_companys_clock(empty_database_url, tmp_path):
    west = {"JXC_ADMIN_PASSWORD": "admin-password", "JXC_TIMEZONE": "UTC-05:00"}
    assert run(empty_database_url, tmp_path, "init", env=west)[0] == 0

    code, output = run(empty_database_url, tmp_path, "login", "admin", password="admin-password")

    assert code == 0, output
    until = re.search(r"有效至 (\d{4}-\d\d-\d\d \d\d:\d\d)$", output.strip()).group(1)
    zone = timezone(timedelta(hours=-5))
    expected = datetime.now(zone) + SESSION_DURATION
    shown = datetime.strptime(until, "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    assert abs(shown - expected) < timedelta(minutes=2)


def signed_in_admin(database_url: str, data_dir) -> None:
    code, output = run(database_url, data_dir, "init", env={"JXC_ADMIN_PASSWORD": "admin-password"})
    assert code == 0, output
    code, output = run(database_url, data_dir, "login", "admin", password="admin-password")
    assert code == 0, output


def test_a_signed_in_admin_adds_a_clerk_who_is_refused_outside_their_warehouse(
    empty_database_url, tmp_path
):
    url = empty_database_url
    signed_in_admin(url, tmp_path)
    for args in (
        ("warehouse", "add", "WH1", "一号仓"),
        ("warehouse", "add", "WH2", "二号仓"),
        ("item", "add", "螺丝-M3", "螺丝 M3"),
    ):
        code, output = run(url, tmp_path, *args)
        assert code == 0, output
    code, output = run(
        url,
        tmp_path,
        "user",
        "add",
        "clerk1",
        "仓管员 张三",
        "--role",
        "warehouse_clerk@WH1",
        password="螺丝刀-2026\n螺丝刀-2026",
    )
    assert code == 0, output
    assert "已添加用户 clerk1" in output
    code, output = run(url, tmp_path, "user", "list")
    assert "仓管员@WH1" in output

    clerk = {"JXC_USER": "clerk1", "JXC_PASSWORD": "螺丝刀-2026"}
    receipt = ("doc", "create", "receipt", "--warehouse", "WH2", "--line", "螺丝-M3:5", "--post")
    code, output = run(url, tmp_path, *receipt, env=clerk)
    assert code == 6
    assert "用户 clerk1 无权在仓库 WH2 创建入库单" in output
    code, output = run(url, tmp_path, *receipt, lang="en", env=clerk)
    assert code == 6
    refusal = "User clerk1 may not create Receipt (purchase or other) documents in warehouse WH2"
    assert refusal in output

    receipt_here = (*receipt[:4], "WH1", *receipt[5:-1])
    code, output = run(url, tmp_path, *receipt_here, env=clerk)
    assert code == 0, output
    assert "（草稿）" in output
    number = re.search(r"RK\d+", output).group(0)
    code, output = run(url, tmp_path, "doc", "execute", number, env=clerk)
    assert code == 5, "a new database runs the five-step SOP: submit and approve come first"
    assert f"单据 {number} 当前为「草稿」，不能执行；此状态下可以：提交、作废" in output

    code, output = run(url, tmp_path, "user", "add", "x.y", "某人", env=clerk)
    assert code == 6, "refused before any password is asked for"
    assert "用户 clerk1 无权管理用户" in output

    for reading in (("user", "list"), ("audit", "log")):  # for admins and auditors only
        code, output = run(url, tmp_path, *reading, env=clerk)
        assert code == 6
        assert "用户 clerk1 无权查看操作日志和用户" in output


def test_a_wrong_password_exits_6_without_saying_which_part_was_wrong(empty_database_url, tmp_path):
    signed_in_admin(empty_database_url, tmp_path)

    wrong_password = run(empty_database_url, tmp_path, "login", "admin", password="nope-nope")
    unknown_user = run(empty_database_url, tmp_path, "login", "nobody", password="nope-nope")

    assert wrong_password[0] == unknown_user[0] == 6
    assert "用户名或密码错误" in wrong_password[1]
    assert "用户名或密码错误" in unknown_user[1]


def test_after_logout_a_write_asks_to_sign_in_first(empty_database_url, tmp_path):
    signed_in_admin(empty_database_url, tmp_path)

    code, output = run(empty_database_url, tmp_path, "logout")
    assert (code, "已退出登录" in output) == (0, True)
    code, output = run(empty_database_url, tmp_path, "warehouse", "add", "WH1", "一号仓", lang="en")

    assert code == 6
    assert "Sign in first: jxc login USER" in output


def test_a_session_token_in_the_environment_acts_for_scripts(empty_database_url, tmp_path):
    signed_in_admin(empty_database_url, tmp_path)
    (token,) = json.loads((tmp_path / "sessions.json").read_text(encoding="utf-8")).values()
    elsewhere = tmp_path / "another-machine"

    code, output = run(empty_database_url, elsewhere, "whoami", env={"JXC_TOKEN": token})
    assert code == 0, output
    assert output.startswith("admin")

    run(empty_database_url, tmp_path, "logout")
    code, output = run(empty_database_url, elsewhere, "whoami", env={"JXC_TOKEN": token})
    assert code == 6
    assert "登录已失效" in output


def test_a_script_pipes_a_new_users_password_and_is_not_warned_in_english(database_url, tmp_path):
    command = [sys.executable, "-m", "jxc", "--db", database_url, "--lang", "zh-CN"]
    environment = {
        **{name: value for name, value in os.environ.items() if name != "JXC_TIMEZONE"},
        "JXC_USER": TESTER,
        "JXC_PASSWORD": TESTER_PASSWORD,
        "JXC_DATA_DIR": str(tmp_path),
    }

    def add_user(username: str, piped: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, "user", "add", username, "仓管员"],
            input=piped,
            capture_output=True,
            text=True,
            env=environment,
            check=False,
            timeout=60,
        )

    added = add_user("clerk9", "piped-password-9\n")
    assert (added.returncode, added.stdout.strip()) == (0, "已添加用户 clerk9"), added.stderr
    assert added.stderr == ""
    nothing = add_user("clerk10", "")
    assert (nothing.returncode, nothing.stderr.strip()) == (1, "已取消，未做任何操作")

    app = build(Settings(database_url=database_url))
    try:
        assert auth.authenticate(app.uow(), "clerk9", "piped-password-9") == "clerk9"
        with app.reader() as connection:
            assert "clerk10" not in {user.username for user in user_queries.users(connection)}
    finally:
        app.dispose()


def test_a_role_is_named_by_its_code_or_by_what_either_language_calls_it(company):
    for username, role in (("zhang", "仓管员@WH1"), ("li", "Warehouse manager@WH2")):
        result = runner.invoke(
            app,
            ["--db", company, "--user", TESTER, "user", "add", username, username, "--role", role],
            env={"JXC_PASSWORD": TESTER_PASSWORD},
            input="pass-word-2026\n",
        )
        assert result.exit_code == 0, result.output
    code, output = jxc(company, "user", "list")
    assert "仓管员@WH1" in output
    assert "仓库主管@WH2" in output

    code, output = jxc(company, "user", "add", "wang", "王", "--role", "保管员")
    assert code == 4
    assert "没有「保管员」这个角色" in output
