"""Reflection over the wire, as grpcurl uses it: both protocol versions, no token."""

from __future__ import annotations

from importlib import resources

import grpc
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2 as rpb

VERSIONS = ("grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")


async def ask(channel: grpc.aio.Channel, service: str, request: rpb.ServerReflectionRequest) -> rpb.ServerReflectionResponse:
    call = channel.stream_stream(
        f"/{service}/ServerReflectionInfo",
        request_serializer=rpb.ServerReflectionRequest.SerializeToString,
        response_deserializer=rpb.ServerReflectionResponse.FromString,
    )()
    await call.write(request)
    await call.done_writing()
    response = await call.read()
    assert isinstance(response, rpb.ServerReflectionResponse)
    return response


def contract_services() -> set[str]:
    data = resources.files("authtuna_api").joinpath("descriptor_set.binpb").read_bytes()
    return {
        f"{file.package}.{service.name}"
        for file in descriptor_pb2.FileDescriptorSet.FromString(data).file
        if file.package.startswith("authtuna_api.")
        for service in file.service
    }


async def test_both_reflection_versions_list_every_service_of_the_contract(channel) -> None:
    for version in VERSIONS:
        response = await ask(channel, version, rpb.ServerReflectionRequest(list_services=""))
        names = {s.name for s in response.list_services_response.service}
        assert contract_services() <= names, version
        assert {"grpc.health.v1.Health", *VERSIONS} <= names, version


async def test_every_listed_service_is_described_with_comments_where_it_has_them(channel) -> None:
    listed = await ask(channel, VERSIONS[0], rpb.ServerReflectionRequest(list_services=""))
    for service in listed.list_services_response.service:
        response = await ask(
            channel, VERSIONS[0], rpb.ServerReflectionRequest(file_containing_symbol=service.name)
        )
        first = descriptor_pb2.FileDescriptorProto.FromString(
            response.file_descriptor_response.file_descriptor_proto[0]
        )
        assert service.name.rpartition(".")[2] in {s.name for s in first.service}
        if service.name in contract_services():
            assert first.source_code_info.location, f"{service.name} is served without comments"


async def test_a_method_symbol_is_described_over_v1alpha_too(channel) -> None:
    response = await ask(
        channel,
        VERSIONS[1],
        rpb.ServerReflectionRequest(file_containing_symbol="authtuna_api.user.v1.UserService.GetUser"),
    )
    first = descriptor_pb2.FileDescriptorProto.FromString(
        response.file_descriptor_response.file_descriptor_proto[0]
    )
    assert first.name == "authtuna_api/user/v1/user_service.proto"
