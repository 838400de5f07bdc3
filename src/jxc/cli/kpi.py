"""`jxc kpi`: the dashboard's figures for a period, with their months."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated

import typer

from jxc.cli.output import day, out, state, table
from jxc.domain import kpi as kpi_rules
from jxc.domain.quantities import normalized
from jxc.queries import kpi


def register(app: typer.Typer) -> None:
    app.command("kpi", help="库存 KPI: 盘点误差率, 出入库准确率, 单据处理周期, 库存周转天数 …")(
        show_kpi
    )


def show_kpi(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (default: six months back).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (default: today).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    st = state(ctx)
    today = st.app.today()
    last = day(end, "--to") or today
    first = day(start, "--from") or kpi_rules.default_start(last)
    with st.app.reader() as connection:
        found = kpi.dashboard(connection, first, last, today, zone=st.app.zone)
    if as_json:
        out.print_json(
            json.dumps(
                {
                    "from": str(found.start),
                    "to": str(found.end),
                    "figures": {
                        figure.key: {
                            "value": _shown(figure.value),
                            "trend": {point.month: _shown(point.value) for point in figure.trend},
                        }
                        for figure in found.figures
                    },
                    "cycle_hours_by_type": {
                        kind: _shown(hours) for kind, hours in found.cycle_by_type.items()
                    },
                },
                ensure_ascii=False,
            )
        )
        return
    months = [point.month for point in found.figures[0].trend]
    table(
        st,
        ["label.kpi", "label.kpi_period", *months],
        (
            [
                st.t(f"kpi.{figure.key}"),
                _with_unit(st.t(f"kpi_unit.{figure.key}"), figure.value),
                *(_with_unit("", point.value) for point in figure.trend),
            ]
            for figure in found.figures
        ),
        title=st.t("label.kpi_title", start=str(found.start), end=str(found.end)),
    )


def _shown(value: Decimal | None) -> str | None:
    return None if value is None else f"{normalized(value):f}"


def _with_unit(unit: str, value: Decimal | None) -> str:
    return "—" if value is None else f"{value}{unit}"
