from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from authtuna_api.user.v1 import user_service_pb2_grpc

TOKEN_LINE = re.compile(r"admin service account token \(shown once\): (atk_\S+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(workdir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    env.update({"AUTHTUNA_ARGON2_MEMORY_KIB": "64", "AUTHTUNA_ARGON2_TIME_COST": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "authtuna_grpc", "serve", "--listen", f"127.0.0.1:{port}"],
        cwd=workdir,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(port: int, token: str) -> pb.GetUserResponse:
    deadline = time.monotonic() + 30
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = user_service_pb2_grpc.UserServiceStub(channel)
        while True:
            try:
                return stub.GetUser(
                    pb.GetUserRequest(username="admin"),
                    metadata=(("authorization", f"Bearer {token}"),),
                    timeout=2,
                )
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def _read_token(process: subprocess.Popen[str]) -> str:
    assert process.stderr is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if match := TOKEN_LINE.search(line):
            return match.group(1)
    raise AssertionError("serve printed no bootstrap token")


def test_serve_defaults_to_sqlite_prints_token_once_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = _free_port()
    first = _serve(tmp_path, port)
    try:
        token = _read_token(first)
        assert _wait_ready(port, token).user.username == "admin"
        assert (tmp_path / "authtuna.db").exists()
    finally:
        first.send_signal(signal.SIGTERM)
    _, stderr = first.communicate(timeout=30)
    assert first.returncode == 0, stderr

    second = _serve(tmp_path, port)
    try:
        assert _wait_ready(port, token).user.username == "admin"
    finally:
        second.send_signal(signal.SIGINT)
    _, stderr = second.communicate(timeout=30)
    assert second.returncode == 0, stderr
    assert "shown once" not in stderr
    # The default event loop is uvloop where it is installed (every platform but Windows),
    # and SIGTERM and SIGINT still stop the server gracefully on it.
    assert "(event loop: uvloop)" in stderr


def test_a_bad_setting_fails_fast_naming_it(tmp_path: Path) -> None:
    env = {**os.environ, "AUTHTUNA_DATABASE_URL": "mysql://nope"}
    result = subprocess.run(
        [sys.executable, "-m", "authtuna_grpc", "migrate"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "AUTHTUNA_DATABASE_URL" in result.stderr


def _authtuna(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHTUNA_")}
    return subprocess.run(
        [sys.executable, "-m", "authtuna_grpc", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )


def test_serve_help_documents_every_setting(tmp_path: Path) -> None:
    from authtuna_grpc.config import Settings

    result = _authtuna(tmp_path, "serve", "--help")
    assert result.returncode == 0
    for name in Settings.model_fields:
        assert f"AUTHTUNA_{name.upper()}" in result.stdout, name
    assert "--workers N" in result.stdout and "--config FILE" in result.stdout


def test_a_bad_flag_value_fails_fast_naming_the_flag(tmp_path: Path) -> None:
    result = _authtuna(tmp_path, "serve", "--max-message-bytes", "10", "--log-format", "xml")
    assert result.returncode == 2
    assert "invalid setting --max-message-bytes (AUTHTUNA_MAX_MESSAGE_BYTES)" in result.stderr
    assert "invalid setting --log-format (AUTHTUNA_LOG_FORMAT)" in result.stderr


def test_serve_reads_a_settings_file_and_health_follows_the_server(tmp_path: Path) -> None:
    from tests.processes import ServeProcess

    port = _free_port()
    config = tmp_path / "authtuna.toml"
    config.write_text(
        f'listen = "0.0.0.0:{port}"\n'
        f'database_url = "sqlite+aiosqlite:///{tmp_path / "from-file.db"}"\n'
        'log_format = "text"\n'
    )
    serve = ServeProcess(tmp_path, {}, "--config", str(config), port=port)
    try:
        serve.wait_serving()
        assert (tmp_path / "from-file.db").exists()
        assert _authtuna(tmp_path, "health", "--config", str(config)).returncode == 0
        assert serve.stop() == 0
    finally:
        serve.close()
    stopped = _authtuna(tmp_path, "health", "--config", str(config))
    assert stopped.returncode == 1
    assert f"127.0.0.1:{port} is not healthy: UNAVAILABLE" in stopped.stderr
