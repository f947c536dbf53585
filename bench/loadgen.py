"""ghz as the load generator: a Go client, far cheaper per call than a Python one, so the
2 cores go to the server being measured rather than to the client."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GHZ = ROOT / ".tools" / "bin" / "ghz"
GHZ_VERSION = "v0.121.0"


def ensure_ghz() -> Path:
    if not GHZ.exists():
        env = {**os.environ, "GOBIN": str(GHZ.parent)}
        subprocess.run(
            ["go", "install", "-trimpath", f"github.com/bojand/ghz/cmd/ghz@{GHZ_VERSION}"],
            check=True,
            env=env,
        )
    return GHZ


def _data_file(data: object) -> Path:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(data, file)
    return Path(file.name)


def _protoset_of(method: str) -> Path:
    """A descriptor set of the method's service, built from the Python descriptors, so ghz
    needs neither reflection nor .proto files."""
    from google.protobuf import descriptor_pb2, descriptor_pool

    service_name = method.split("/")[0]
    if service_name.startswith("grpc.health.v1."):
        import grpc_health.v1.health_pb2  # noqa: F401  (registers the descriptors)
    else:
        import authtuna_api.user.v1.user_service_pb2  # noqa: F401
    pool = descriptor_pool.Default()
    files, seen = descriptor_pb2.FileDescriptorSet(), set()

    def add(file: object) -> None:
        if file.name in seen:  # type: ignore[attr-defined]
            return
        seen.add(file.name)  # type: ignore[attr-defined]
        for dependency in file.dependencies:  # type: ignore[attr-defined]
            add(dependency)
        proto = files.file.add()
        file.CopyToProto(proto)  # type: ignore[attr-defined]

    add(pool.FindServiceByName(service_name).file)
    path = Path(tempfile.gettempdir()) / f"authtuna-bench-{service_name}.protoset"
    path.write_bytes(files.SerializeToString())
    return path


@dataclass(frozen=True)
class LoadResult:
    calls: int
    errors: int
    qps: float
    p50_ms: float
    p99_ms: float
    status: dict[str, int]


def run_ghz(
    address: str,
    method: str,
    *,
    data: dict[str, object] | list[dict[str, object]] | None = None,
    token: str | None = None,
    concurrency: int,
    seconds: float,
    connections: int = 1,
    total: int = 100_000_000,
) -> LoadResult:
    """Calls `method` for `seconds` (or `total` calls). A list as `data` gives each call the
    next element in turn, so each call can name a different user."""
    protoset = _protoset_of(method)
    command = [
        str(ensure_ghz()),
        "--insecure",
        f"--call={method}",
        f"--concurrency={concurrency}",
        f"--connections={min(connections, concurrency)}",
        *(
            [f"--total={total}"]
            if total < 100_000_000
            else [f"--duration={seconds}s", "--duration-stop=wait", f"--total={total}"]
        ),
        "--cpus=1",
        "--format=json",
        f"--data-file={_data_file(data or {})}",
        f"--protoset={protoset}",
    ]
    if token:
        command.append(f"--metadata={json.dumps({'authorization': f'Bearer {token}'})}")
    command.append(address)
    out = subprocess.run(command, check=False, capture_output=True, text=True)
    if not out.stdout.strip():
        raise RuntimeError(f"ghz failed: {out.stderr}")
    report = json.loads(out.stdout)
    latencies = {d["percentage"]: d["latency"] / 1e6 for d in report.get("latencyDistribution") or []}
    status = report.get("statusCodeDistribution") or {}
    errors = sum(n for code, n in status.items() if code != "OK")
    return LoadResult(
        calls=int(report["count"]),
        errors=errors,
        qps=float(report["rps"]),
        p50_ms=latencies.get(50, float("nan")),
        p99_ms=latencies.get(99, float("nan")),
        status=status,
    )
