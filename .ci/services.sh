#!/usr/bin/env bash
# Throw-away PostgreSQL and Redis on 127.0.0.1 for the token store tests, and
# panva's oidc-provider (tests/peer/, a pinned npm package) for the peer tests.
#
#   source .ci/services.sh && services_start   # exports the two URLs, stops both on EXIT
#   .ci/services.sh start|stop                 # by hand (start prints the exports)
#
# Installs Debian's postgresql, redis-server, nodejs and npm when missing. Everything
# lives in one temporary directory, removed by services_stop. npm ci (the lockfile's
# exact versions) is the only registry access.

services_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

services_start() {
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql redis-server >/dev/null
  fi
  local bin; bin="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
  SERVICES_DIR="$(mktemp -d /tmp/quart-oauthlib-services.XXXXXX)"
  chmod 755 "$SERVICES_DIR"
  export SERVICES_DIR

  # initdb refuses to run as root: the cluster belongs to the postgres user (or to us).
  local as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    as=(runuser -u postgres --)
  fi
  mkdir -p "$SERVICES_DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$SERVICES_DIR/pg"
  local pg_port; pg_port="$(services_free_port)"
  "${as[@]}" "$bin/initdb" -D "$SERVICES_DIR/pg/data" -U postgres -A trust >"$SERVICES_DIR/initdb.log"
  "${as[@]}" "$bin/pg_ctl" -D "$SERVICES_DIR/pg/data" -l "$SERVICES_DIR/pg/log" -w -t 30 \
    -o "-h 127.0.0.1 -p $pg_port -k $SERVICES_DIR/pg -c fsync=off -c max_connections=200" start >/dev/null
  SERVICES_PG_BIN="$bin"; export SERVICES_PG_BIN

  local redis_port; redis_port="$(services_free_port)"
  redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes \
    --pidfile "$SERVICES_DIR/redis.pid" --dir "$SERVICES_DIR" --save '' --appendonly no \
    --logfile "$SERVICES_DIR/redis.log"
  for _ in $(seq 50); do [ -s "$SERVICES_DIR/redis.pid" ] && break; sleep 0.1; done

  export QUART_OAUTHLIB_TEST_POSTGRES_URL="postgresql+asyncpg://postgres@127.0.0.1:$pg_port/postgres"
  export QUART_OAUTHLIB_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  trap services_stop EXIT
  peer_start
  echo "services: PostgreSQL on 127.0.0.1:$pg_port, Redis on 127.0.0.1:$redis_port," \
    "oidc-provider at $QUART_OAUTHLIB_TEST_PEER_URL" >&2
}

# panva's oidc-provider (OpenID Certified) on 127.0.0.1, for tests/peer/.
peer_start() {
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
  local peer_dir; peer_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/peer" && pwd)"
  SERVICES_DIR="${SERVICES_DIR:-$(mktemp -d /tmp/quart-oauthlib-services.XXXXXX)}"
  mkdir -p "$SERVICES_DIR"
  export SERVICES_DIR
  (cd "$peer_dir" && npm ci --no-audit --no-fund --loglevel=error >"$SERVICES_DIR/npm.log" 2>&1) || {
    cat "$SERVICES_DIR/npm.log" >&2; return 1; }
  local port; port="$(services_free_port)"
  PORT="$port" node "$peer_dir/server.mjs" >"$SERVICES_DIR/peer.log" 2>&1 &
  echo $! >"$SERVICES_DIR/peer.pid"
  local issuer="http://127.0.0.1:$port"
  for _ in $(seq 100); do
    python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$issuer/.well-known/openid-configuration" 2>/dev/null && break
    sleep 0.2
  done
  python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "$issuer/.well-known/openid-configuration" || { cat "$SERVICES_DIR/peer.log" >&2; return 1; }
  export QUART_OAUTHLIB_TEST_PEER_URL="$issuer"
}

peer_stop() {
  if [ -n "${SERVICES_DIR:-}" ] && [ -f "$SERVICES_DIR/peer.pid" ]; then
    kill "$(cat "$SERVICES_DIR/peer.pid")" 2>/dev/null || true
    rm -f "$SERVICES_DIR/peer.pid"
  fi
  unset QUART_OAUTHLIB_TEST_PEER_URL
}

services_stop() {
  [ -n "${SERVICES_DIR:-}" ] && [ -d "$SERVICES_DIR" ] || return 0
  peer_stop
  if [ -f "$SERVICES_DIR/redis.pid" ]; then
    kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true
  fi
  if [ -f "$SERVICES_DIR/pg/data/postmaster.pid" ]; then
    local as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$SERVICES_PG_BIN/pg_ctl" -D "$SERVICES_DIR/pg/data" -m fast -w stop >/dev/null || true
  fi
  rm -rf "$SERVICES_DIR"
  unset SERVICES_DIR QUART_OAUTHLIB_TEST_POSTGRES_URL QUART_OAUTHLIB_TEST_REDIS_URL
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    start)
      services_start; trap - EXIT
      echo "export SERVICES_DIR=$SERVICES_DIR SERVICES_PG_BIN=$SERVICES_PG_BIN"
      echo "export QUART_OAUTHLIB_TEST_POSTGRES_URL=$QUART_OAUTHLIB_TEST_POSTGRES_URL"
      echo "export QUART_OAUTHLIB_TEST_REDIS_URL=$QUART_OAUTHLIB_TEST_REDIS_URL"
      echo "export QUART_OAUTHLIB_TEST_PEER_URL=$QUART_OAUTHLIB_TEST_PEER_URL" ;;
    peer-start)
      peer_start
      echo "export SERVICES_DIR=$SERVICES_DIR"
      echo "export QUART_OAUTHLIB_TEST_PEER_URL=$QUART_OAUTHLIB_TEST_PEER_URL" ;;
    peer-stop) peer_stop; [ -n "${SERVICES_DIR:-}" ] && rm -rf "$SERVICES_DIR" ;;
    stop) services_stop ;;
    *) echo "usage: $0 start|stop|peer-start|peer-stop" >&2; exit 2 ;;
  esac
fi
