# Sourced by scripts that test against a running server:
#   source scripts/lib/live-server.bash
#   live_server_start        # serves a fresh SQLite database; sets the variables below
#   ... use $AUTHTUNA_ADDRESS and $AUTHTUNA_TOKEN ...
# The server runs `authtuna-grpc serve` from PATH (the main environment) on 127.0.0.1
# on a free port, with a known bootstrap token; an EXIT trap stops it, removes its
# directory and, if the script failed, prints its log.
#   AUTHTUNA_ADDRESS  host:port of the server
#   AUTHTUNA_TOKEN    the admin service account's token
#   LIVE_DIR          a temporary directory that is removed at exit

live_server_pid=

live_server_cleanup() {
  local status=$?
  if [[ -n $live_server_pid ]] && kill -0 "$live_server_pid" 2>/dev/null; then
    kill -TERM "$live_server_pid" 2>/dev/null || true
    wait "$live_server_pid" 2>/dev/null || true
  fi
  if [[ $status != 0 && -f $LIVE_DIR/server.log ]]; then
    echo "---- server log ----" >&2
    cat "$LIVE_DIR/server.log" >&2
  fi
  rm -rf "$LIVE_DIR"
}

live_server_start() {
  LIVE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/authtuna-live.XXXXXX")
  trap live_server_cleanup EXIT
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  AUTHTUNA_ADDRESS=127.0.0.1:$port
  AUTHTUNA_TOKEN="atk_live-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  export AUTHTUNA_ADDRESS AUTHTUNA_TOKEN LIVE_DIR
  AUTHTUNA_DATABASE_URL="sqlite+aiosqlite:///$LIVE_DIR/authtuna.db" \
    AUTHTUNA_LISTEN=$AUTHTUNA_ADDRESS \
    AUTHTUNA_BOOTSTRAP_TOKEN=$AUTHTUNA_TOKEN \
    authtuna-grpc serve >"$LIVE_DIR/server.log" 2>&1 &
  live_server_pid=$!
  # Wait for health SERVING, with the main environment's grpcio.
  python - "$AUTHTUNA_ADDRESS" "$live_server_pid" <<'PY' || { echo "the server did not start" >&2; return 1; }
import os, sys, time
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

address, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
with grpc.insecure_channel(address) as channel:
    stub = health_pb2_grpc.HealthStub(channel)
    while time.monotonic() < deadline:
        os.kill(pid, 0)  # raises once the server has exited
        try:
            if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == health_pb2.HealthCheckResponse.SERVING:
                sys.exit(0)
        except grpc.RpcError:
            pass
        time.sleep(0.2)
sys.exit(1)
PY
  echo "live server: serving on $AUTHTUNA_ADDRESS (log $LIVE_DIR/server.log)"
}
