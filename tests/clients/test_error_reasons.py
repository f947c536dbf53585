"""Every reason the server can send has an exception class in the Python client and a
constant in the Go client."""

from __future__ import annotations

from pathlib import Path

import grpc
from authtuna_api.client import errors as client_errors

from authtuna_grpc.api.errors import STATUS_CODES


def test_every_server_reason_maps_to_a_client_class_of_the_same_code() -> None:
    missing = []
    for error_class, code in STATUS_CODES.items():
        client_class = client_errors.BY_REASON.get(error_class.reason)
        if client_class is None or not issubclass(client_class, client_errors.BY_CODE[code]):
            missing.append(f"{error_class.reason} ({code.name})")
    assert not missing, (
        "add a class per reason to clients/python/authtuna_api/client/errors.py "
        f"(subclassing the class of its code) and a BY_REASON row: {missing}"
    )


def test_the_internal_reason_maps_to_internal() -> None:
    assert client_errors.BY_REASON["INTERNAL"] is client_errors.Internal
    assert client_errors.BY_CODE[grpc.StatusCode.INTERNAL] is client_errors.Internal


def test_every_code_class_is_exported() -> None:
    import authtuna_api.client as client

    for cls in {*client_errors.BY_CODE.values(), *client_errors.BY_REASON.values()}:
        assert getattr(client, cls.__name__) is cls


def test_every_server_reason_has_a_go_constant() -> None:
    source = (Path(__file__).parents[2] / "clients" / "go" / "authtuna" / "errors.go").read_text()
    missing = [error_class.reason for error_class in STATUS_CODES if f'= "{error_class.reason}"' not in source]
    assert not missing, f"add a Reason… constant to clients/go/authtuna/errors.go for: {missing}"
