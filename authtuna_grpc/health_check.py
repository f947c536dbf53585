"""`authtuna-grpc health`: ask the local server's gRPC health service, for HEALTHCHECK."""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "::": "[::1]", "": "127.0.0.1"}


def local_target(listen: str) -> str:
    """The address to reach a server bound to `listen` from the same host."""
    host, _, port = listen.rpartition(":")
    return f"{WILDCARD_HOSTS.get(host, host)}:{port}"


def check(listen: str, timeout: float = 3.0) -> int:
    target = local_target(listen)
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(), timeout=timeout)
        except grpc.RpcError as error:
            print(f"authtuna-grpc: {target} is not healthy: {error.code().name}", file=sys.stderr)
            return 1
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        print(f"authtuna-grpc: {target} reports {status}", file=sys.stderr)
        return 1
    return 0
