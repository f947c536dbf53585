"""Client fixtures: the address of the test server and tokens for its callers."""

from __future__ import annotations

import pytest

from authtuna_grpc.server import RunningServer
from authtuna_grpc.storage.unit_of_work import UnitOfWorkFactory
from tests.callers import token_for_new_user

STRONG = "Correct-Horse-9"


@pytest.fixture
def address(server: RunningServer) -> str:
    return f"127.0.0.1:{server.port}"


@pytest.fixture
async def member_token(units: UnitOfWorkFactory) -> str:
    """A caller without `users.read` / `users.create`."""
    return await token_for_new_user(units, "member-caller", "Member")
