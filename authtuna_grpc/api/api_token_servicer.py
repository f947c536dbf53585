"""ApiTokenService: each method parses, makes one manager call, converts back."""

from __future__ import annotations

from typing import Any

from authtuna_api.user.v1 import api_token_service_pb2 as pb
from authtuna_api.user.v1 import api_token_service_pb2_grpc

from authtuna_grpc.api.converters import from_timestamp, parse_id, to_proto_api_token
from authtuna_grpc.api.interceptors import current_caller
from authtuna_grpc.services.api_token_manager import ApiTokenManager

Context = Any  # grpc.aio.ServicerContext; grpcio ships no type information


class ApiTokenServicer(api_token_service_pb2_grpc.ApiTokenServiceServicer):
    def __init__(self, tokens: ApiTokenManager) -> None:
        self._tokens = tokens

    async def CreateApiToken(
        self, request: pb.CreateApiTokenRequest, context: Context
    ) -> pb.CreateApiTokenResponse:
        issued = await self._tokens.create(
            current_caller(),
            user_id=parse_id(request.user_id, "user_id", "a user"),
            name=request.name,
            expires_at=from_timestamp(request.expires_at, "expires_at") if request.HasField("expires_at") else None,
        )
        return pb.CreateApiTokenResponse(token=to_proto_api_token(issued.token), secret=issued.secret)

    async def ListApiTokens(
        self, request: pb.ListApiTokensRequest, context: Context
    ) -> pb.ListApiTokensResponse:
        tokens = await self._tokens.list(parse_id(request.user_id, "user_id", "a user"))
        return pb.ListApiTokensResponse(tokens=[to_proto_api_token(t) for t in tokens])

    async def RevokeApiToken(
        self, request: pb.RevokeApiTokenRequest, context: Context
    ) -> pb.RevokeApiTokenResponse:
        token = await self._tokens.revoke(current_caller(), parse_id(request.id, "id", "an API token"))
        return pb.RevokeApiTokenResponse(token=to_proto_api_token(token))
