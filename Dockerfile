# syntax=docker/dockerfile:1
# authtuna-grpc server image.
#   docker build -t authtuna-grpc .
#   docker run --rm -v authtuna:/var/lib/authtuna authtuna-grpc migrate
#   docker run -d -p 50051:50051 -v authtuna:/var/lib/authtuna \
#     -e AUTHTUNA_BOOTSTRAP_TOKEN=... authtuna-grpc
# Set AUTHTUNA_DATABASE_URL=postgresql+asyncpg://... to use PostgreSQL instead of SQLite.

# Builder: wheels of the server, the generated Python client and every dependency.
FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels ./clients/python .

# Runtime: installs the wheels only; no compilers, no sources, not root.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTHTUNA_LISTEN=0.0.0.0:50051 \
    AUTHTUNA_DATABASE_URL=sqlite+aiosqlite:////var/lib/authtuna/authtuna.db
RUN groupadd --system --gid 10001 authtuna \
    && useradd --system --no-log-init --uid 10001 --gid authtuna \
        --home-dir /var/lib/authtuna --create-home authtuna
# The wheel directory holds exactly the versions the builder resolved, so installing
# every file in it pins the whole set; --no-index keeps anything else out.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl
WORKDIR /var/lib/authtuna
USER 10001:10001
EXPOSE 50051
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, sys, grpc; from grpc_health.v1 import health_pb2 as h, health_pb2_grpc as g; port = os.environ['AUTHTUNA_LISTEN'].rpartition(':')[2]; stub = g.HealthStub(grpc.insecure_channel('127.0.0.1:' + port)); sys.exit(stub.Check(h.HealthCheckRequest(), timeout=3).status != h.HealthCheckResponse.SERVING)"]
ENTRYPOINT ["authtuna-grpc"]
CMD ["serve"]
