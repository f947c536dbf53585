from __future__ import annotations

from authtuna_grpc.config import Settings
from authtuna_grpc.server_options import server_options


def test_limits_and_keepalive_become_grpc_server_options() -> None:
    settings = Settings(
        max_message_bytes=1024 * 1024,
        keepalive_time_seconds=30,
        keepalive_timeout_seconds=5,
        keepalive_min_client_interval_seconds=15,
        max_connection_age_seconds=300,
        shutdown_grace_seconds=7,
    )
    options = dict(server_options(settings, shared_port=True))
    assert options["grpc.max_receive_message_length"] == 1024 * 1024
    assert options["grpc.max_send_message_length"] == 1024 * 1024
    assert options["grpc.keepalive_time_ms"] == 30_000
    assert options["grpc.keepalive_timeout_ms"] == 5_000
    assert options["grpc.http2.min_recv_ping_interval_without_data_ms"] == 15_000
    assert options["grpc.max_connection_age_ms"] == 300_000
    assert options["grpc.max_connection_age_grace_ms"] == 7_000
    assert options["grpc.so_reuseport"] == 1
    assert "grpc.max_connection_idle_ms" not in options


def test_a_single_process_does_not_share_its_port() -> None:
    assert dict(server_options(Settings(), shared_port=False))["grpc.so_reuseport"] == 0
