"""What reflection answers, straight from the servicer (the wire is in tests/api)."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2 as rpb

from authtuna_grpc.api.reflection import DescriptorFiles, ReflectionServicer

USER_SERVICE = "authtuna_api.user.v1.UserService"
SERVICE_FILE = "authtuna_api/user/v1/user_service.proto"

servicer = ReflectionServicer(DescriptorFiles.shipped(), [USER_SERVICE])


def files_of(response: rpb.ServerReflectionResponse) -> list[descriptor_pb2.FileDescriptorProto]:
    assert not response.HasField("error_response"), response.error_response
    return [
        descriptor_pb2.FileDescriptorProto.FromString(data)
        for data in response.file_descriptor_response.file_descriptor_proto
    ]


def comments(file: descriptor_pb2.FileDescriptorProto) -> str:
    return "\n".join(location.leading_comments for location in file.source_code_info.location)


def test_a_method_symbol_resolves_to_its_file_with_comments() -> None:
    response = servicer.answer(
        rpb.ServerReflectionRequest(file_containing_symbol=f"{USER_SERVICE}.GetUser")
    )
    first, *imports = files_of(response)
    assert first.name == SERVICE_FILE
    assert "Looks up one user by id, email or username" in comments(first)
    assert {"authtuna_api/user/v1/user.proto", "google/protobuf/timestamp.proto"} <= {
        f.name for f in imports
    }


def test_messages_fields_and_oneofs_resolve() -> None:
    for symbol in (
        "authtuna_api.user.v1.User",
        "authtuna_api.user.v1.User.email",
        "authtuna_api.user.v1.GetUserRequest.lookup",
    ):
        response = servicer.answer(rpb.ServerReflectionRequest(file_containing_symbol=symbol))
        assert files_of(response)[0].name.startswith("authtuna_api/user/v1/"), symbol


def test_google_rpc_error_details_are_served_for_decoding_errors() -> None:
    for symbol, file in (
        ("google.rpc.ErrorInfo", "google/rpc/error_details.proto"),
        ("google.rpc.BadRequest", "google/rpc/error_details.proto"),
        ("google.rpc.Status", "google/rpc/status.proto"),
    ):
        response = servicer.answer(rpb.ServerReflectionRequest(file_containing_symbol=symbol))
        assert files_of(response)[0].name == file


def test_file_by_name_serves_the_file_then_its_imports_once_each() -> None:
    response = servicer.answer(rpb.ServerReflectionRequest(file_by_filename=SERVICE_FILE))
    files = files_of(response)
    names = [f.name for f in files]
    assert names[0] == SERVICE_FILE and len(names) == len(set(names))
    imported = {dependency for f in files for dependency in f.dependency}
    assert imported == set(names[1:])
    assert {"authtuna_api/user/v1/user.proto", "google/protobuf/timestamp.proto"} <= imported


def test_unknown_symbols_and_files_are_not_found() -> None:
    for request in (
        rpb.ServerReflectionRequest(file_containing_symbol="authtuna_api.user.v1.Nope"),
        rpb.ServerReflectionRequest(file_containing_symbol=f"{USER_SERVICE}.Nope"),
        rpb.ServerReflectionRequest(file_by_filename="nope.proto"),
        rpb.ServerReflectionRequest(all_extension_numbers_of_type="authtuna_api.Nope"),
    ):
        response = servicer.answer(request)
        assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
        assert response.original_request == request


def test_extension_numbers_of_a_message_without_extensions_are_empty() -> None:
    response = servicer.answer(
        rpb.ServerReflectionRequest(all_extension_numbers_of_type="authtuna_api.user.v1.User")
    )
    assert response.all_extension_numbers_response.base_type_name == "authtuna_api.user.v1.User"
    assert list(response.all_extension_numbers_response.extension_number) == []


def test_reflection_v1_is_described_under_its_own_package() -> None:
    response = servicer.answer(
        rpb.ServerReflectionRequest(file_containing_symbol="grpc.reflection.v1.ServerReflection")
    )
    (file,) = files_of(response)
    assert file.package == "grpc.reflection.v1"
    method = file.service[0].method[0]
    assert method.input_type == ".grpc.reflection.v1.ServerReflectionRequest"
    assert all("v1alpha" not in f.type_name for m in file.message_type for f in m.field)
