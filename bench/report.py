"""Figures → console and docs/benchmarks.md (between markers, so other sections stay)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from bench.loadgen import LoadResult
from bench.machine import describe
from bench.sections import replace_section
from bench.service import ServiceResults

BEGIN, END = "<!-- perf:begin -->", "<!-- perf:end -->"
CHART = "qps-vs-concurrency.png"


@dataclass
class Results:
    echo: dict[int, tuple[LoadResult, float]] = field(default_factory=dict)
    argon2_per_second: float = 0.0
    loop: str = "uvloop"
    service: dict[int, ServiceResults] = field(default_factory=dict)


def _row(name: str, load: LoadResult, cpu_us: float | None = None) -> str:
    cpu = f"{cpu_us:,.0f}" if cpu_us is not None else "–"
    return (
        f"| {name} | {load.qps:,.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} | {cpu} | "
        f"{load.errors} |"
    )


def ratios(results: Results) -> list[tuple[str, float, float, bool]]:
    """(ratio name, value, target, met) for each ratio the figures allow."""
    found = []
    one = results.service.get(1)
    if one and 64 in one.get_user and 64 in results.echo:
        value = one.get_user[64][0].qps / results.echo[64][0].qps
        found.append(("GetUser QPS / echo QPS at 64 in flight (1 worker)", value, 0.6, value >= 0.6))
    if one and one.create_user and results.argon2_per_second:
        value = one.create_user.qps / results.argon2_per_second
        found.append(("CreateUser QPS / argon2id ceiling (1 worker)", value, 0.9, value >= 0.9))
    if one and one.get_user_while_hashing:
        p99 = one.get_user_while_hashing.p99_ms
        found.append(("GetUser p99 ms while 20 hashes run (1 worker)", p99, 50.0, p99 < 50.0))
    return found


def render_markdown(results: Results, chart: str | None) -> str:
    lines = [
        BEGIN,
        "## The service against its ceilings",
        "",
        f"Measured {datetime.date.today().isoformat()} on {describe()}.",
        "Command: `python bench/perf.py` (load generator: ghz, a Go client in its own process; "
        "service on PostgreSQL 15 started by the command; echo server and service on "
        f"{results.loop}).",
        "",
        "| run | QPS | p50 ms | p99 ms | server CPU µs/call | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for concurrency, (load, cpu) in results.echo.items():
        lines.append(_row(f"echo ceiling, {concurrency} in flight", load, cpu))
    lines.append(
        f"| argon2id ceiling (hashes/s, all cores) | {results.argon2_per_second:,.1f} | | | | |"
    )
    for workers, service in results.service.items():
        for concurrency, (load, cpu) in service.get_user.items():
            lines.append(_row(f"GetUser, {concurrency} in flight, {workers} worker(s)", load, cpu))
        if service.create_user:
            lines.append(
                _row(
                    f"CreateUser with password, 16 in flight, {workers} worker(s)",
                    service.create_user, service.create_user_cpu_us,
                )
            )
        if service.get_user_while_hashing:
            lines.append(
                _row(f"GetUser while 20 hashes run, {workers} worker(s)", service.get_user_while_hashing)
            )
        for name, load in service.mutations.items():
            lines.append(_row(f"{name}, {workers} worker(s)", load))
    lines += ["", "| ratio | value | target | met |", "|---|---:|---:|---|"]
    for name, value, target, met in ratios(results):
        lines.append(f"| {name} | {value:.2f} | {target:g} | {'yes' if met else 'no'} |")
    if chart:
        lines += ["", f"![QPS against calls in flight]({chart})"]
    lines.append(END)
    return "\n".join(lines)


def render_console(results: Results) -> str:
    return render_markdown(results, None)


def _chart(results: Results, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axis = plt.subplots(figsize=(6, 4))
    levels = sorted(results.echo)
    axis.plot(levels, [results.echo[c][0].qps for c in levels], marker="o", label="echo ceiling")
    for workers, service in results.service.items():
        levels = sorted(service.get_user)
        axis.plot(
            levels, [service.get_user[c][0].qps for c in levels], marker="o",
            label=f"GetUser, {workers} worker(s)",
        )
    axis.set_xscale("log", base=2)
    axis.set_xlabel("calls in flight")
    axis.set_ylabel("calls per second")
    axis.set_title("QPS against concurrency (2 cores, PostgreSQL)")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return True


def write(results: Results, output: Path) -> None:
    chart = CHART if _chart(results, output.parent / CHART) else None
    replace_section(output, BEGIN, END, render_markdown(results, chart))
