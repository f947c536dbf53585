from __future__ import annotations

import asyncio

import grpc
from authtuna_api.user.v1 import user_service_pb2 as pb
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from tests.callers import Callers


async def test_health_reports_serving_without_a_token(channel) -> None:
    stub = health_pb2_grpc.HealthStub(channel)
    for service in ("", "authtuna_api.user.v1.UserService"):
        response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_reflection_lists_the_services_without_a_token(channel) -> None:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    call = stub.ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    response = await call.read()
    await call.done_writing()
    names = {s.name for s in response.list_services_response.service}
    assert {"authtuna_api.user.v1.UserService", "grpc.health.v1.Health"} <= names


async def test_shutdown_turns_health_not_serving_and_finishes_in_flight_calls(
    server, channel, users, callers: Callers
) -> None:
    health = health_pb2_grpc.HealthStub(channel)
    in_flight = asyncio.ensure_future(
        users.CreateUser(
            pb.CreateUserRequest(email="late@example.com", username="late", password="Slow-hash-1"),
            metadata=callers.admin,
        )
    )
    await asyncio.sleep(0)
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
    assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
    stopping = asyncio.ensure_future(server.health.enter_graceful_shutdown())
    assert (await watch.read()).status == health_pb2.HealthCheckResponse.NOT_SERVING
    await stopping
    created = await in_flight
    assert created.user.username == "late"
    await server.server.stop(grace=2)
    try:
        await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        raise AssertionError("the server still answered after stop")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.UNAVAILABLE


async def test_role_and_token_services_report_health_and_are_listed(channel) -> None:
    services = ("authtuna_api.user.v1.RoleService", "authtuna_api.user.v1.ApiTokenService")
    stub = health_pb2_grpc.HealthStub(channel)
    for service in services:
        response = await stub.Check(health_pb2.HealthCheckRequest(service=service))
        assert response.status == health_pb2.HealthCheckResponse.SERVING
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    response = await call.read()
    await call.done_writing()
    assert set(services) <= {s.name for s in response.list_services_response.service}


async def test_compliance_service_reports_health_and_is_listed(channel) -> None:
    service = "authtuna_api.user.v1.ComplianceService"
    response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
    assert response.status == health_pb2.HealthCheckResponse.SERVING
    call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
    await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
    response = await call.read()
    await call.done_writing()
    assert service in {s.name for s in response.list_services_response.service}
