"""`serve --workers 2`: two processes behind one port, one supervisor, one metrics endpoint."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from prometheus_client.parser import text_string_to_metric_families

from tests.callers import ADMIN_TOKEN, bearer
from tests.processes import ServeProcess, free_port


def _access_pids(log: str) -> list[int]:
    pids = []
    for line in log.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry["logger"] == "authtuna_grpc.access":
                pids.append(entry["pid"])
    return pids


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _parent_of(pid: int) -> int:
    return int(_stat(pid)[1])


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return _stat(pid)[0] != "Z"
    except FileNotFoundError:
        return False


def _get_admin_on_a_new_connection(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        stub.GetUser(pb.GetUserRequest(username="admin"), metadata=bearer(ADMIN_TOKEN), timeout=10)


def _handled_get_user_calls(metrics_port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "grpc_server_handled_total"
        and sample.labels.get("grpc_method") == "GetUser"
        and sample.labels.get("grpc_code") == "OK"
    )


def test_two_workers_serve_one_port_from_two_processes(tmp_path: Path, database_url: str) -> None:
    metrics_port = free_port()
    serve = ServeProcess(
        tmp_path,
        {
            "database_url": database_url,
            "bootstrap_token": ADMIN_TOKEN,
            "metrics_listen": f"127.0.0.1:{metrics_port}",
        },
        "--workers", "2",
    )
    try:
        serve.wait_serving()
        calls = 0
        deadline = time.monotonic() + 30
        # Each new connection lands on one worker, chosen by the kernel; the second
        # worker may still be starting when the first already answers.
        while len(set(_access_pids(serve.log()))) < 2 and time.monotonic() < deadline:
            _get_admin_on_a_new_connection(serve.address)
            calls += 1
            time.sleep(0.02)
        for _ in range(10):
            _get_admin_on_a_new_connection(serve.address)
            calls += 1
        time.sleep(0.3)  # the last access lines are written just after the responses
        pids = set(_access_pids(serve.log()))
        assert len(pids) == 2, serve.log()
        assert {_parent_of(pid) for pid in pids} == {serve.process.pid}
        assert _handled_get_user_calls(metrics_port) == calls
        assert serve.stop() == 0, serve.log()
        assert not any(_running(pid) for pid in pids)
        assert "shown once" not in serve.log()
    finally:
        serve.close()


def test_workers_stop_on_their_own_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    serve = ServeProcess(
        tmp_path,
        {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'w.db'}", "bootstrap_token": ADMIN_TOKEN},
        "--workers", "2",
    )
    try:
        serve.wait_serving()
        children = [
            int(child)
            for task in Path(f"/proc/{serve.process.pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
        assert len(children) >= 2
        os.kill(serve.process.pid, signal.SIGKILL)
        serve.process.wait()
        deadline = time.monotonic() + 15
        while any(_running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_running(pid) for pid in children), serve.log()
    finally:
        serve.close()
