"""Which grpcio release and event loop to pin: `python bench/candidates.py`.

For each candidate grpcio release, a virtual environment under .tools/bench-venvs holds
this project (installed editable, so it runs the working tree) with that release of grpcio and its companions (health checking,
reflection, status) and uvloop; `bench/perf.py --quick` then measures the echo ceiling
and GetUser at 64 in flight there, on each event loop. Rounds go through every
candidate in turn, so that a change in the machine's load touches all of them alike;
the table gives each candidate's median over the rounds, and is written into
docs/benchmarks.md. Starts its own PostgreSQL (via scripts/postgres) unless
AUTHTUNA_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".tools" / "bench-venvs"
COMPANIONS = ("grpcio", "grpcio-health-checking", "grpcio-reflection", "grpcio-status")
UVLOOP = "uvloop==0.22.1"
BEGIN, END = "<!-- candidates:begin -->", "<!-- candidates:end -->"

sys.path.insert(0, str(ROOT))
from bench.machine import describe  # noqa: E402
from bench.sections import replace_section  # noqa: E402


def environment(release: str) -> Path:
    """A virtual environment with this project on the given grpcio release."""
    venv = VENVS / f"grpcio-{release}"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        # Editable: every environment runs the working tree's code.
        subprocess.run([*pip, "-e", str(ROOT), str(ROOT / "clients" / "python"), UVLOOP], check=True)
        # The project pins its own release; the candidate replaces it (pip warns, as it should).
        subprocess.run([*pip, *(f"{name}=={release}" for name in COMPANIONS)], check=True)
    return python


def measure(python: Path, loop: str, seconds: float) -> dict[str, float]:
    out = subprocess.run(
        [str(python), str(ROOT / "bench" / "perf.py"), "--quick", "--loop", loop, "--seconds", str(seconds)],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def render(rows: list[dict[str, object]], rounds: int, command: str) -> str:
    lines = [
        BEGIN,
        "## grpcio releases and event loops",
        "",
        f"Measured {datetime.date.today().isoformat()} on {describe()}.",
        f"Command: `{command}`: echo ceiling and GetUser at 64 in flight (1 worker, ghz, PostgreSQL 15 on the "
        f"same machine); the median of {rounds} rounds, the candidates taking turns in each round.",
        "",
        "| grpcio | event loop | echo QPS | echo server CPU µs/call | GetUser QPS | GetUser server CPU µs/call | GetUser p99 ms | GetUser / echo |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['grpcio']} | {row['loop']} | {row['echo_qps']:,.0f} | {row['echo_cpu_us']:,.0f} | "
            f"{row['get_user_qps']:,.0f} | {row['get_user_cpu_us']:,.0f} | {row['get_user_p99_ms']:.1f} | "
            f"{float(row['get_user_qps']) / float(row['echo_qps']):.2f} |"  # type: ignore[arg-type]
        )
    lines.append(END)
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpcio", nargs="+", default=["1.75.1", "1.80.1", "1.85.1"])
    parser.add_argument("--loops", nargs="+", default=["asyncio", "uvloop"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args()
    if not os.environ.get("AUTHTUNA_TEST_POSTGRES_URL"):
        return subprocess.call([str(ROOT / "scripts" / "postgres"), sys.executable, *sys.argv])

    pythons = {release: environment(release) for release in args.grpcio}
    runs: dict[tuple[str, str], list[dict[str, float]]] = {}
    for round_number in range(args.rounds):
        for release, python in pythons.items():
            for loop in args.loops:
                result = measure(python, loop, args.seconds)
                runs.setdefault((release, loop), []).append(result)
                print(f"round {round_number + 1}: {json.dumps(result)}", flush=True)
    rows: list[dict[str, object]] = []
    for (release, loop), results in runs.items():
        row: dict[str, object] = {"grpcio": release, "loop": loop}
        for key in ("echo_qps", "echo_cpu_us", "get_user_qps", "get_user_cpu_us", "get_user_p99_ms"):
            row[key] = statistics.median(r[key] for r in results)
        rows.append(row)
    command = "python bench/candidates.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    section = render(rows, args.rounds, command)
    print(section)
    replace_section(args.output, BEGIN, END, section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
