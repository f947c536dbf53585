# syntax=docker/dockerfile:1
# authtuna-grpc server image.
#   docker build -t authtuna-grpc .
#   docker run --rm -e AUTHTUNA_DATABASE_URL=postgresql+asyncpg://... authtuna-grpc migrate
#   docker run -d -p 50051:50051 -p 9464:9464 -e AUTHTUNA_DATABASE_URL=... \
#     -e AUTHTUNA_BOOTSTRAP_TOKEN=... authtuna-grpc serve --workers 2
# Without AUTHTUNA_DATABASE_URL it serves SQLite from the volume /var/lib/authtuna.
# Every setting: docker run --rm authtuna-grpc serve --help (and docs/configuration.md).

# Builder: wheels of the server, the generated Python client and every dependency.
FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --wheel-dir /wheels ./clients/python .

# Runtime: installs the wheels only, then removes the installers; no compilers, no
# sources, no pip, not root.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTHTUNA_LISTEN=0.0.0.0:50051 \
    AUTHTUNA_METRICS_LISTEN=0.0.0.0:9464 \
    AUTHTUNA_LOG_FORMAT=json \
    AUTHTUNA_DATABASE_URL=sqlite+aiosqlite:////var/lib/authtuna/authtuna.db
RUN groupadd --system --gid 10001 authtuna \
    && useradd --system --no-log-init --uid 10001 --gid authtuna \
        --home-dir /var/lib/authtuna --create-home authtuna
# The wheel directory holds exactly the versions the builder resolved, so installing
# every file in it pins the whole set; --no-index keeps anything else out.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index /wheels/*.whl \
    && pip uninstall --yes pip setuptools wheel
WORKDIR /var/lib/authtuna
VOLUME ["/var/lib/authtuna"]
USER 10001:10001
# gRPC, and Prometheus metrics at /metrics.
EXPOSE 50051 9464
STOPSIGNAL SIGTERM
# Asks the server's own gRPC health service (grpc.health.v1) on AUTHTUNA_LISTEN.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["authtuna-grpc", "health"]
ENTRYPOINT ["authtuna-grpc"]
CMD ["serve"]
