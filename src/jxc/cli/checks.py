"""`jxc check`: recompute stock from the ledger; exit 1 if anything differs."""

from __future__ import annotations

import typer

from jxc.cli.output import err, out, state
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
            "[green]✓[/] "
            + st.t("label.check_ok", ledger_rows=report.ledger_rows, balances=report.balances)
        )
        return
    err.print("[bold red]✗ " + st.t("label.check_failed", count=len(report.problems)) + "[/]")
    for problem in report.problems:
        err.print(f"  • {st.t(problem.code, **problem.params)}  [dim]({problem.code})[/]")
    raise typer.Exit(1)
