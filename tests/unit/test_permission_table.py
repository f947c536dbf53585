from __future__ import annotations

from authtuna_api.user.v1 import (
    api_token_service_pb2,
    compliance_service_pb2,
    role_service_pb2,
    session_service_pb2,
    user_service_pb2,
)

from authtuna_grpc.api.permissions import REQUIRED_PERMISSION, is_open

SERVED_FILES = [
    user_service_pb2,
    role_service_pb2,
    api_token_service_pb2,
    session_service_pb2,
    compliance_service_pb2,
]


def _all_rpcs() -> set[str]:
    return {
        f"/{service.full_name}/{method.name}"
        for module in SERVED_FILES
        for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods
    }


def test_every_rpc_names_its_permission() -> None:
    missing = _all_rpcs() - set(REQUIRED_PERMISSION)
    assert not missing, f"RPCs without a permission: {sorted(missing)}"


def test_no_permission_entry_for_an_rpc_that_does_not_exist() -> None:
    assert set(REQUIRED_PERMISSION) <= _all_rpcs()


def test_only_health_and_reflection_are_open() -> None:
    assert is_open("/grpc.health.v1.Health/Check")
    assert is_open("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    assert not any(is_open(rpc) for rpc in _all_rpcs())
