"""Server reflection answered from the descriptor set shipped with authtuna-api.

grpcio-reflection re-serialises descriptors from the runtime pool, which drops the
proto comments, and it cannot resolve method symbols (`Service.Method`), so
`grpcurl describe` showed neither. This servicer answers with the files exactly as
scripts/generate built them (with comments and every import, google.rpc included)
and resolves methods through their service. Reflection v1 and v1alpha are the same
protocol on the wire (identical messages and field numbers), so one servicer serves
both; grpcurl asks for v1 first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from importlib import resources
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor_pb2 import FileDescriptorProto as FileProto
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

DESCRIPTOR_SET = "descriptor_set.binpb"
V1ALPHA_SERVICE = "grpc.reflection.v1alpha.ServerReflection"
V1_SERVICE = "grpc.reflection.v1.ServerReflection"


class DescriptorFiles:
    """Serialized files by name, and a pool to find which file defines a symbol."""

    def __init__(self, files: Iterable[FileProto]) -> None:
        self._pool = descriptor_pool.DescriptorPool()
        self._serialized: dict[str, bytes] = {}
        self._imports: dict[str, list[str]] = {}
        for file in files:  # in dependency order, as protoc writes a descriptor set
            self._pool.Add(file)
            self._serialized[file.name] = file.SerializeToString()
            self._imports[file.name] = list(file.dependency)

    @classmethod
    def shipped(cls) -> DescriptorFiles:
        data = resources.files("authtuna_api").joinpath(DESCRIPTOR_SET).read_bytes()
        files = list(descriptor_pb2.FileDescriptorSet.FromString(data).file)
        files.append(FileProto.FromString(health_pb2.DESCRIPTOR.serialized_pb))
        files.append(FileProto.FromString(reflection_pb2.DESCRIPTOR.serialized_pb))
        files.append(_reflection_v1_file())
        return cls(files)

    def with_imports(self, name: str) -> list[bytes]:
        """The file `name` first, then everything it imports, transitively."""
        if name not in self._serialized:
            raise KeyError(name)
        ordered = [name]
        for current in ordered:
            ordered.extend(i for i in self._imports[current] if i not in ordered)
        return [self._serialized[n] for n in ordered]

    def file_defining(self, symbol: str) -> str:
        try:
            return str(self._pool.FindFileContainingSymbol(symbol).name)
        except KeyError:
            service_name, _, method = symbol.rpartition(".")
            service = self._pool.FindServiceByName(service_name)
            if method not in service.methods_by_name:
                raise
            return str(service.file.name)

    def file_extending(self, message: str, number: int) -> str:
        extension = self._pool.FindExtensionByNumber(self._pool.FindMessageTypeByName(message), number)
        return str(extension.file.name)

    def extension_numbers(self, message: str) -> list[int]:
        found = self._pool.FindAllExtensions(self._pool.FindMessageTypeByName(message))
        return sorted(extension.number for extension in found)


def _reflection_v1_file() -> FileProto:
    """reflection v1's descriptor: v1alpha's under the v1 package (the wire format is equal)."""
    file = FileProto.FromString(reflection_pb2.DESCRIPTOR.serialized_pb)
    old, new = ".grpc.reflection.v1alpha.", ".grpc.reflection.v1."
    file.name = "grpc/reflection/v1/reflection.proto"
    file.package = "grpc.reflection.v1"
    for message in file.message_type:
        for field in message.field:
            if field.type_name:
                field.type_name = field.type_name.replace(old, new)
    for method in file.service[0].method:
        method.input_type = method.input_type.replace(old, new)
        method.output_type = method.output_type.replace(old, new)
    return file


class ReflectionServicer(reflection_pb2_grpc.ServerReflectionServicer):  # type: ignore[misc]
    def __init__(self, files: DescriptorFiles, service_names: Sequence[str]) -> None:
        self._files = files
        self._services = [reflection_pb2.ServiceResponse(name=n) for n in sorted(service_names)]

    async def ServerReflectionInfo(  # noqa: N802 - the generated method name
        self, requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Any]:
        async for request in requests:
            yield self.answer(request)

    def answer(self, request: Any) -> Any:
        response = reflection_pb2.ServerReflectionResponse(original_request=request)
        kind = request.WhichOneof("message_request")
        try:
            if kind == "list_services":
                response.list_services_response.service.extend(self._services)
            elif kind == "file_by_filename":
                self._add_files(response, request.file_by_filename)
            elif kind == "file_containing_symbol":
                self._add_files(response, self._files.file_defining(request.file_containing_symbol))
            elif kind == "file_containing_extension":
                wanted = request.file_containing_extension
                name = self._files.file_extending(wanted.containing_type, wanted.extension_number)
                self._add_files(response, name)
            elif kind == "all_extension_numbers_of_type":
                numbers = response.all_extension_numbers_response
                numbers.base_type_name = request.all_extension_numbers_of_type
                numbers.extension_number.extend(self._files.extension_numbers(numbers.base_type_name))
            else:
                return _error(request, grpc.StatusCode.INVALID_ARGUMENT, "unknown request kind")
        except KeyError:
            return _error(request, grpc.StatusCode.NOT_FOUND, "not found")
        return response

    def _add_files(self, response: Any, name: str) -> None:
        files = self._files.with_imports(name)
        response.file_descriptor_response.file_descriptor_proto.extend(files)


def _error(request: Any, code: grpc.StatusCode, message: str) -> Any:
    return reflection_pb2.ServerReflectionResponse(
        original_request=request,
        error_response=reflection_pb2.ErrorResponse(error_code=code.value[0], error_message=message),
    )


def enable_reflection(server: grpc.aio.Server, service_names: Iterable[str]) -> None:
    """Serve reflection v1 and v1alpha listing `service_names` and both reflection services."""
    names = sorted({*service_names, V1_SERVICE, V1ALPHA_SERVICE})
    servicer = ReflectionServicer(DescriptorFiles.shipped(), names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    v1_handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(V1_SERVICE, {"ServerReflectionInfo": v1_handler}),)
    )
