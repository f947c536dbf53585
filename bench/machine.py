"""What the figures were measured on, and how much CPU a process used."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def describe() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("grpcio", "protobuf", "sqlalchemy", "asyncpg")
    )
    return (
        f"{os.cpu_count()} cores ({model}), {memory_kib // 1024 // 1024} GiB, "
        f"Linux {platform.release()}, Python {platform.python_version()}; {versions}"
    )


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of the given processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (server workers)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in children:
            found.extend(process_tree(int(child)))
    return found
