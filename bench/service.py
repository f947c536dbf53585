"""The service on PostgreSQL, measured with the same load generator as the ceiling."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import asyncpg
import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc
from sqlalchemy.engine import make_url

from bench.loadgen import LoadResult, run_ghz
from bench.machine import cpu_seconds, process_tree
from bench.ports import free_port

TOKEN = "atk_bench-token-" + "x" * 32
SERVICE = "authtuna_api.user.v1.UserService"


@dataclass
class ServiceResults:
    get_user: dict[int, tuple[LoadResult, float]] = field(default_factory=dict)
    create_user: LoadResult | None = None
    create_user_cpu_us: float | None = None  # the server's, hashing threads included
    get_user_while_hashing: LoadResult | None = None
    hashing_alongside: LoadResult | None = None
    mutations: dict[str, LoadResult] = field(default_factory=dict)


def supports_workers() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--help"], capture_output=True, text=True
    )
    return "--workers" in out.stdout


def fresh_database(base_url: str) -> str:
    name = f"authtuna_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(base_url).set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    asyncio.run(create())
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


class Server:
    def __init__(self, database_url: str, workers: int, loop: str = "uvloop") -> None:
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", self.address]
        if workers > 1:
            command += ["--workers", str(workers)]
        env = {
            **os.environ,
            "AUTHTUNA_DATABASE_URL": database_url,
            "AUTHTUNA_BOOTSTRAP_TOKEN": TOKEN,
            "AUTHTUNA_LOG_LEVEL": "WARNING",
            "AUTHTUNA_EVENT_LOOP": loop,
        }
        self.process = subprocess.Popen(command, env=env)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        with grpc.insecure_channel(self.address) as channel:
            stub = user_service_pb2_grpc.UserServiceStub(channel)
            while True:
                try:
                    stub.GetUser(pb.GetUserRequest(username="admin"), metadata=_auth(), timeout=2)
                    return
                except grpc.RpcError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        raise
                    time.sleep(0.3)

    def cpu(self) -> float:
        return cpu_seconds(process_tree(self.process.pid))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def _auth() -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {TOKEN}"),)


def create_target(address: str) -> str:
    with grpc.insecure_channel(address) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        user = stub.CreateUser(
            pb.CreateUserRequest(email="target@example.com", username="target"), metadata=_auth()
        ).user
    return str(user.id)


def _create_data(tag: str) -> dict[str, object]:
    # ghz fills in the template per request, so every CreateUser registers a new user.
    return {
        "email": f"{tag}{{{{.RequestNumber}}}}x{{{{.WorkerID}}}}@example.com",
        "username": f"{tag}{{{{.RequestNumber}}}}x{{{{.WorkerID}}}}",
        "password": "Correct-Horse-9",
    }


def measure(
    base_url: str,
    *,
    workers: int,
    seconds: float,
    loop: str = "uvloop",
    quick: bool = False,
    concurrency: tuple[int, ...] = (1, 16, 64),
) -> ServiceResults:
    """Everything, or with `quick` only GetUser at each concurrency."""
    server = Server(fresh_database(base_url), workers, loop)
    results = ServiceResults()
    try:
        user_id = create_target(server.address)
        get = f"{SERVICE}/GetUser"
        run_ghz(server.address, get, data={"id": user_id}, token=TOKEN, concurrency=8, seconds=1)
        for level in concurrency:
            before = server.cpu()
            load = run_ghz(
                server.address, get, data={"id": user_id}, token=TOKEN,
                concurrency=level, seconds=seconds, connections=workers * 2,
            )
            used = server.cpu() - before
            results.get_user[level] = (load, used / max(load.calls, 1) * 1e6)
        if quick:
            return results
        before = server.cpu()
        results.create_user = run_ghz(
            server.address, f"{SERVICE}/CreateUser", data=_create_data(f"c{workers}"),
            token=TOKEN, concurrency=16, seconds=seconds, connections=workers * 2,
        )
        results.create_user_cpu_us = (server.cpu() - before) / max(results.create_user.calls, 1) * 1e6
        results.get_user_while_hashing, results.hashing_alongside = _get_while_hashing(
            server.address, user_id, seconds, workers
        )
        results.mutations.update(_mutations(server.address, workers))
    finally:
        server.stop()
    return results


MUTATED_USERS = 1500


def _mutations(address: str, workers: int) -> dict[str, LoadResult]:
    """UpdateUser and SuspendUser QPS, each call on a user of its own (a fresh etag)."""
    run_ghz(
        address, f"{SERVICE}/CreateUser", token=TOKEN, concurrency=16, seconds=0,
        total=2 * MUTATED_USERS,
        data={"email": f"m{workers}x{{{{.RequestNumber}}}}@example.com",
              "username": f"m{workers}x{{{{.RequestNumber}}}}"},
    )
    ids = _ids_of_users_named(address, f"m{workers}x")
    updates = [
        {"id": i, "user": {"emailVerified": True}, "updateMask": {"paths": ["email_verified"]}, "etag": "v1"}
        for i in ids[:MUTATED_USERS]
    ]
    suspensions = [{"id": i, "reason": "benchmark"} for i in ids[MUTATED_USERS:]]
    return {
        "UpdateUser": run_ghz(
            address, f"{SERVICE}/UpdateUser", data=updates, token=TOKEN, concurrency=16,
            seconds=0, total=len(updates), connections=workers * 2,
        ),
        "SuspendUser": run_ghz(
            address, f"{SERVICE}/SuspendUser", data=suspensions, token=TOKEN, concurrency=16,
            seconds=0, total=len(suspensions), connections=workers * 2,
        ),
    }


def _ids_of_users_named(address: str, prefix: str) -> list[str]:
    ids, token = [], ""
    with grpc.insecure_channel(address) as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        while True:
            page = stub.ListUsers(pb.ListUsersRequest(limit=1000, page_token=token), metadata=_auth())
            ids += [u.id for u in page.users if u.username.startswith(prefix)]
            token = page.next_page_token
            if not token:
                return ids


def _get_while_hashing(
    address: str, user_id: str, seconds: float, workers: int
) -> tuple[LoadResult, LoadResult]:
    """GetUser latency while 20 CreateUser calls (20 password hashes) are always in flight."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        hashing = pool.submit(
            run_ghz, address, f"{SERVICE}/CreateUser", data=_create_data(f"h{workers}"),
            token=TOKEN, concurrency=20, seconds=seconds + 1,
        )
        time.sleep(0.5)
        reads = run_ghz(
            address, f"{SERVICE}/GetUser", data={"id": user_id}, token=TOKEN,
            concurrency=16, seconds=seconds - 0.5,
        )
        return reads, hashing.result()
