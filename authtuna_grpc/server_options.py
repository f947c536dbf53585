"""gRPC server options from the settings: message size, keepalive, connection age, port sharing."""

from __future__ import annotations

from authtuna_grpc.config import Settings


def _milliseconds(seconds: float) -> int:
    return int(seconds * 1000)


def server_options(settings: Settings, *, shared_port: bool) -> list[tuple[str, int]]:
    options = [
        ("grpc.max_receive_message_length", settings.max_message_bytes),
        ("grpc.max_send_message_length", settings.max_message_bytes),
        ("grpc.keepalive_time_ms", _milliseconds(settings.keepalive_time_seconds)),
        ("grpc.keepalive_timeout_ms", _milliseconds(settings.keepalive_timeout_seconds)),
        ("grpc.keepalive_permit_without_calls", 1),
        (
            "grpc.http2.min_recv_ping_interval_without_data_ms",
            _milliseconds(settings.keepalive_min_client_interval_seconds),
        ),
        ("grpc.http2.max_ping_strikes", 2),
        # Off for a single process, so a second server on a taken port fails to start
        # instead of silently sharing it; on for workers (SO_REUSEPORT).
        ("grpc.so_reuseport", 1 if shared_port else 0),
    ]
    if settings.max_connection_idle_seconds:
        options.append(
            ("grpc.max_connection_idle_ms", _milliseconds(settings.max_connection_idle_seconds))
        )
    if settings.max_connection_age_seconds:
        options.append(
            ("grpc.max_connection_age_ms", _milliseconds(settings.max_connection_age_seconds))
        )
        options.append(
            ("grpc.max_connection_age_grace_ms", _milliseconds(settings.shutdown_grace_seconds))
        )
    return options
