#!/usr/bin/env bash
# A container engine for docker-compose on machines without a Docker daemon: Debian's rootful
# podman, serving the Docker API on a socket of its own, with a private image store, so nothing
# it does mixes with anything else on the machine. Used by the containers test tier and by
# `make up` / `make down` when no Docker engine answers.
#
#   engine.sh start     start the API service (idempotent) and print DOCKER_HOST=unix://...
#   engine.sh stop      stop it once no container of its store runs, and put back what podman
#                       changed on the host (see below); prints what it restored
#   engine.sh env       print the variables podman and docker-compose need (for `eval`)
#   engine.sh podman …  run podman against the private store
#
# Why the settings below (found by trying on Debian 12, as root, without systemd as PID 1):
# crun cannot set rlimits or use hybrid cgroups there, so runc is the runtime, and the default
# ulimits are lowered to what an unprivileged machine allows; events go to a file (no journald).
#
# What podman changes on the host, and `stop` puts back: net.ipv4.ip_forward (netavark turns it
# on), the nftables tables netavark adds (ip filter / ip nat, through iptables-nft), network
# namespaces mounted under /run/netns, and the directories it creates under /run.
#
# State: TEAMHUB_CONTAINERS_DIR (default /var/tmp/teamhub-containers) holds the image store,
# which is kept between runs as a cache, and run/: podman's runtime state, which is kept while
# the machine runs (podman records its place in the store, and dropping it would make the next
# start "refresh" every volume's lock) and dropped after a reboot, plus the socket and what the
# host looked like before the engine started, which go when it stops.
# Tables that existed before the engine started are left, with any chains netavark added to them.
set -euo pipefail

DIR="${TEAMHUB_CONTAINERS_DIR:-/var/tmp/teamhub-containers}"
RUN="$DIR/run"
SOCK="$RUN/podman.sock"
PIDFILE="$RUN/service.pid"
HOST_STATE="$RUN/host-state"
BOOT_ID_FILE="$RUN/boot-id"
RUN_DIRS="/run/netns /run/libpod /run/containers /run/runc"
export CONTAINERS_CONF="$DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$DIR/storage.conf"
export DOCKER_HOST="unix://$SOCK"

say() { printf 'engine: %s\n' "$*" >&2; }
die() { printf 'engine: %s\n' "$*" >&2; exit 1; }

write_config() {
  mkdir -p "$DIR/storage" "$RUN/root" "$RUN/tmp" "$RUN/networks"
  cat >"$CONTAINERS_CONF.tmp" <<EOF
# Written by scripts/containers/engine.sh
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_config_dir = "$RUN/networks"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$RUN/tmp"
EOF
  cat >"$CONTAINERS_STORAGE_CONF.tmp" <<EOF
# Written by scripts/containers/engine.sh
[storage]
driver = "overlay"
graphroot = "$DIR/storage"
runroot = "$RUN/root"
EOF
  mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
  mv "$CONTAINERS_STORAGE_CONF.tmp" "$CONTAINERS_STORAGE_CONF"
}

need_tools() {
  local missing=()
  for c in podman runc netavark nft; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /usr/lib/podman/$c ]] || missing+=("$c")
  done
  ((${#missing[@]} == 0)) || die "missing: ${missing[*]} (scripts/setup.sh --containers installs them)"
  [[ "$(id -u)" == 0 ]] || die "podman runs rootful here: run as root (rootless podman needs subuid ranges and slirp4netns, not set up by this script)"
}

service_alive() {
  [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && [[ -S "$SOCK" ]]
}

nft_tables() { nft list tables 2>/dev/null | sort || true; }

record_host_state() {
  {
    echo "ip_forward=$(sysctl -n net.ipv4.ip_forward)"
    for d in $RUN_DIRS; do
      [[ -e "$d" ]] && echo "existed=$d"
    done
    if [[ -d /run/netns ]]; then
      mountpoint -q /run/netns && echo "mounted=/run/netns"
      find /run/netns -mindepth 1 -maxdepth 1 -printf 'netns=%f\n'
    fi
    nft_tables | sed 's/^/nft=/'
  } >"$HOST_STATE"
}

cmd_start() {
  need_tools
  if service_alive; then
    echo "DOCKER_HOST=$DOCKER_HOST"
    return
  fi
  # After a reboot the runtime state describes processes that no longer exist: start clean.
  local boot_id
  boot_id="$(cat /proc/sys/kernel/random/boot_id)"
  if [[ -f "$BOOT_ID_FILE" && "$(cat "$BOOT_ID_FILE")" != "$boot_id" ]]; then
    say "the machine rebooted since the last start: dropping stale runtime state"
    rm -rf "$RUN"
  fi
  write_config
  echo "$boot_id" >"$BOOT_ID_FILE"
  [[ -f "$HOST_STATE" ]] || record_host_state
  rm -f "$SOCK"
  setsid podman system service --time=0 "unix://$SOCK" >>"$RUN/service.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 100); do
    if [[ -S "$SOCK" ]] && podman --url "$DOCKER_HOST" version >/dev/null 2>&1; then
      echo "DOCKER_HOST=$DOCKER_HOST"
      return
    fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || break
    sleep 0.1
  done
  die "podman's API service did not start; its log ($RUN/service.log) ends with:
$(tail -n 20 "$RUN/service.log" 2>/dev/null)"
}

restore_host() {
  [[ -f "$HOST_STATE" ]] || return 0
  local restored=()
  local want
  want="$(sed -n 's/^ip_forward=//p' "$HOST_STATE")"
  if [[ -n "$want" && "$(sysctl -n net.ipv4.ip_forward)" != "$want" ]]; then
    sysctl -qw "net.ipv4.ip_forward=$want"
    restored+=("net.ipv4.ip_forward=$want")
  fi
  # nft prints "table ip nat"; delete the tables that were not there before.
  while read -r line; do
    [[ -n "$line" ]] || continue
    if ! grep -qxF "nft=$line" "$HOST_STATE"; then
      # shellcheck disable=SC2086
      nft delete ${line} && restored+=("deleted nftables ${line#table }")
    fi
  done < <(nft_tables)
  if [[ -d /run/netns ]]; then
    for ns in /run/netns/*; do
      [[ -e "$ns" ]] || continue
      grep -qxF "netns=$(basename "$ns")" "$HOST_STATE" && continue
      umount "$ns" 2>/dev/null || true
      rm -f "$ns" && restored+=("removed $ns")
    done
    # podman bind-mounts /run/netns onto itself (shared propagation) before it adds the first one.
    if mountpoint -q /run/netns && ! grep -qxF "mounted=/run/netns" "$HOST_STATE"; then
      umount /run/netns && restored+=("unmounted /run/netns")
    fi
  fi
  # The directories podman made under /run (network namespaces, IP allocations, runc state):
  # its own, now that it no longer runs.
  for d in $RUN_DIRS; do
    grep -qxF "existed=$d" "$HOST_STATE" && continue
    [[ -e "$d" ]] || continue
    rm -rf "$d" && restored+=("removed $d")
  done
  ((${#restored[@]} == 0)) || say "restored the host: ${restored[*]}"
}

cmd_stop() {
  if [[ -f "$CONTAINERS_CONF" ]] && command -v podman >/dev/null 2>&1; then
    local running
    running="$(podman ps -q 2>/dev/null | wc -l)"
    if ((running > 0)); then
      say "$running container(s) still run in this engine (e.g. a 'make up' stack): leaving it and the host as they are"
      return 0
    fi
  fi
  if [[ -f "$PIDFILE" ]]; then
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$PIDFILE" "$SOCK"
  fi
  # netavark's DNS server outlives the networks it served by a moment; stop ours by its pid file.
  local aard="$RUN/networks/aardvark-dns/aardvark.pid"
  if [[ -f "$aard" ]] && kill -0 "$(cat "$aard")" 2>/dev/null; then kill "$(cat "$aard")" || true; fi
  restore_host
  rm -f "$HOST_STATE" "$RUN/service.log"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env)
    printf 'export CONTAINERS_CONF=%q\nexport CONTAINERS_STORAGE_CONF=%q\nexport DOCKER_HOST=%q\n' "$CONTAINERS_CONF" "$CONTAINERS_STORAGE_CONF" "$DOCKER_HOST"
    ;;
  podman)
    shift
    [[ -f "$CONTAINERS_CONF" ]] || write_config
    exec podman "$@"
    ;;
  *) die "usage: engine.sh start|stop|env|podman <args>" ;;
esac
