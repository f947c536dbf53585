"""Both Python clients have a method for every RPC of the contract."""

from __future__ import annotations

import re
from importlib import resources

from authtuna_api.client import AsyncAuthTunaClient, AuthTunaClient
from google.protobuf import descriptor_pb2


def contract_rpcs() -> list[str]:
    data = resources.files("authtuna_api").joinpath("descriptor_set.binpb").read_bytes()
    return [
        method.name
        for file in descriptor_pb2.FileDescriptorSet.FromString(data).file
        if file.package.startswith("authtuna_api.")
        for service in file.service
        for method in service.method
    ]


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_every_rpc_has_a_method_on_both_clients() -> None:
    assert contract_rpcs()
    missing = [
        f"{client.__name__}.{snake_case(rpc)}"
        for rpc in contract_rpcs()
        for client in (AuthTunaClient, AsyncAuthTunaClient)
        if not callable(getattr(client, snake_case(rpc), None))
    ]
    assert not missing, f"add client methods (see docs/clients.md, 'Adding an RPC'): {missing}"
