"""`jxc bench` end to end on a tiny profile: every figure is there and sane."""

from __future__ import annotations

import json
import sys

from typer.testing import CliRunner

from jxc.cli.main import app

REQUIRED = (
    "post_single_docs_per_s",
    "post_shipment_docs_per_s",
    "post_batch_lines_per_s",
    "on_hand_p50_ms",
    "on_hand_p99_ms",
    "warehouse_stock_ms",
    "check_s",
    "ledger_rows",
    "audit_verify_s",
    "audit_events",
    "race_workers",
    "race_posts_per_s",
    "race_oversells",
    "peak_rss_mb",
    "stock_summary_s",
    "stock_summary_ledger_s",
    "ageing_s",
    "kpi_s",
    "stocktake_lines_per_s",
)


def test_a_tiny_bench_reports_every_figure_and_no_oversell(tmp_path):
    path = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app,
        ["--lang", "en", "bench", "--quick", "--scale", "0.05", "--workers", "2"]
        + ["--seed", "7", "--json", str(path)],
    )
    assert result.exit_code == 0, result.output

    report = json.loads(path.read_text(encoding="utf-8"))
    assert (report["engine"], report["profile"]) == ("sqlite", "quick")
    assert report["machine"]["cpus"] >= 1
    results = report["results"]
    assert set(REQUIRED) <= set(results)
    assert all(isinstance(results[key], int | float) for key in REQUIRED)
    assert results["race_oversells"] == 0
    assert results["race_workers"] == 2
    assert results["ledger_rows"] >= report["sizes"]["ledger_rows_target"] > 0
    for key in ("post_single_docs_per_s", "post_shipment_docs_per_s", "post_batch_lines_per_s"):
        assert results[key] > 0
    assert 0 < results["on_hand_p50_ms"] <= results["on_hand_p99_ms"]
    assert results["warehouse_stock_ms"] > 0
    assert results["check_s"] > 0
    # every posted document was created and posted: at least two events each
    assert results["audit_events"] >= 2 * results["history_documents"] > 0
    assert results["audit_verify_s"] > 0
    assert results["race_posts_per_s"] > 0
    # three shops' processes sold every unit of the hot items, none twice
    assert (results["channel_orders"], results["channel_oversells"]) == (500, 0)
    assert results["channel_orders_per_s"] > 0
    # a whole warehouse counted and approved: every line of it
    assert results["stocktake_lines"] > 0
    assert results["stocktake_lines_per_s"] > 0
    assert results["peak_rss_mb"] > 10
    assert report["failures"] == []


def test_the_http_bench_serves_the_api_and_races_it_without_oversells(tmp_path):
    path = tmp_path / "bench-http.json"
    result = CliRunner().invoke(
        app,
        ["--lang", "en", "bench", "--http", "--quick", "--scale", "0.05", "--clients", "3"]
        + ["--json", str(path)],
    )
    assert result.exit_code == 0, result.output

    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    assert results["http_clients"] == 3
    assert results["http_requests"] == 3 * 8  # at least 8 requests per client
    assert results["http_posts_per_s"] > 0
    assert 0 < results["http_p50_ms"] <= results["http_p95_ms"] <= results["http_p99_ms"]
    if sys.platform == "linux":  # read from /proc
        assert 0 < results["http_server_cpu_per_post_ms"] < 1000
    assert results["http_oversells"] == 0
    assert results["http_refused"] >= 1, "the hot item ran out, so the last issues were refused"
    assert results["http_channel_oversells"] == 0
    assert results["http_channel_orders_per_s"] > 0
