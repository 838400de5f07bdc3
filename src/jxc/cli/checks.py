"""`jxc check`: recompute stock from the ledger; exit 1 if anything differs."""

from __future__ import annotations

import typer
from rich.text import Text

from jxc.cli.output import err, failed, ok, out, state
from jxc.queries import consistency


def register(app: typer.Typer) -> None:
    app.command("check", help="Recompute every balance from the ledger and compare (账实核对).")(
        check
    )


def check(ctx: typer.Context) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        report = consistency.check(connection)
    if report.ok:
        out.print(
            ok(st.t("label.check_ok", ledger_rows=report.ledger_rows, balances=report.balances))
        )
        return
    err.print(failed(st.t("label.check_failed", count=len(report.problems))))
    for problem in report.problems:
        shown = st.t(problem.code, **problem.params)
        err.print(Text.assemble(f"  • {shown}", (f"  ({problem.code})", "dim")))
    raise typer.Exit(1)
