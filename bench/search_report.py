"""Writes the benchmark's section of docs/benchmarks.md, leaving other sections alone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.sections import replace_section

START = "<!-- bench/search.py: start -->"
END = "<!-- bench/search.py: end -->"


def _section(results: Any, *, users: int, events: int) -> str:
    m = results.machine
    lines = [
        START,
        "## Search and audit streams",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} with `python bench/search.py` (one command: throwaway",
        "PostgreSQL 15 from scripts/postgres, seeding, the real server as a `python -m authtuna_grpc serve`",
        "subprocess, a Python grpc.aio client in the benchmark process, cleanup).",
        "",
        f"Machine: {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, Python {m['python']}, grpcio {m['grpcio']};",
        f"shared with other work: load average {m['load']} before, {m['load after']} after. PostgreSQL,",
        "the server and the client all run on these two cores.",
        "",
        f"Data: {users:,} users (every one holds Member@global, every 10th Auditor@team:<k>, every",
        f"1000th UserManager@global) and {events:,} audit events (bench/search_seed.py), seeded in",
        f"{results.seeding.get('total', 0):.0f} s with INSERT … SELECT generate_series and a rebuild of the indexes.",
        "",
        "| measurement | time to first batch | throughput / latency | target |",
        "|---|---|---|---|",
        *(f"| {what} | {first} | {rate} | {target} |" for what, first, rate, target in results.rows),
        "",
        *(f"- {note}" for note in results.notes),
        "",
        "The identity search's plan (the server's own SQL, under the plan_cache_mode it sets):",
        "",
        "```",
        results.explain,
        "```",
        END,
    ]
    return "\n".join(lines)


def write_report(path: Path, results: Any, *, users: int, events: int) -> None:
    section = _section(results, users=users, events=events)
    replace_section(path, START, END, section)
    print(f"wrote {path}")
