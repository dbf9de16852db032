#!/usr/bin/env bash
# `make up` / `make down`: docker-compose.yml on whichever container engine this machine has.
#   compose.sh up      docker compose up -d --build
#   compose.sh down    docker compose down (volumes are kept: they hold the data and the secrets)
#   compose.sh <args>  any other docker compose command, e.g. `compose.sh logs auth`
# The engine, in this order:
#   1. DOCKER_HOST, when set: used as it is;
#   2. a Docker daemon that answers `docker info`;
#   3. podman: its Docker-compatible API service, the system one when it runs (systemd's
#      podman.socket), otherwise the one scripts/containers/engine.sh starts; after `down`, that
#      one is stopped again and what podman changed on the host is put back.
# The compose client is `docker compose` (v2) when present, otherwise `docker-compose`.
set -euo pipefail
cd "$(dirname "$0")/../.."
say() { printf 'compose: %s\n' "$*" >&2; }
die() { printf 'compose: %s\n' "$*" >&2; exit 1; }

own_engine=0
if [[ -n "${DOCKER_HOST:-}" ]]; then
  say "using DOCKER_HOST=$DOCKER_HOST"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  say "using the Docker engine"
elif command -v podman >/dev/null 2>&1; then
  sock=""
  for s in "${XDG_RUNTIME_DIR:-/nonexistent}/podman/podman.sock" /run/podman/podman.sock; do
    if [[ -S "$s" ]] && podman --url "unix://$s" version >/dev/null 2>&1; then sock="$s"; break; fi
  done
  if [[ -n "$sock" ]]; then
    export DOCKER_HOST="unix://$sock"
    say "using podman's API service at $sock"
  else
    eval "$(bash scripts/containers/engine.sh start >/dev/null && bash scripts/containers/engine.sh env)"
    own_engine=1
    say "using podman through scripts/containers/engine.sh ($DOCKER_HOST)"
  fi
else
  die "no container engine found: install Docker (with the compose plugin) or podman and docker-compose"
fi

if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else die "no compose client found: install the Docker compose plugin or docker-compose"
fi

case "${1:-}" in
  up) shift; set -- up -d --build "$@" ;;
  down) ;;
  "") die "usage: compose.sh up|down|<docker compose arguments>" ;;
esac
status=0
"${compose[@]}" "$@" || status=$?
if [[ $own_engine == 1 && "${1:-}" == down ]]; then bash scripts/containers/engine.sh stop; fi
exit $status
