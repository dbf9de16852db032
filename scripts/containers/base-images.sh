#!/usr/bin/env bash
# The two images everything else here is built from, made without any image registry:
#   localhost/debian:bookworm           debootstrap's minimal Debian 12 (about 35 s from the mirror)
#   localhost/teamhub-standin/node:20   that, plus this machine's own node and npm
# Both stay in the engine's image store; the Debian root file system is also kept as a tarball
# next to it, so a fresh store imports it in seconds. Fast and silent when both are there.
# Needs root (rootful podman) and the packages scripts/setup.sh installs for the containers tier.
# Nothing here needs a container network (the build runs with --network=none), so the host's
# network settings stay as they are.
set -euo pipefail
cd "$(dirname "$0")"
DIR="${TEAMHUB_CONTAINERS_DIR:-/var/tmp/teamhub-containers}"
ENGINE=(bash ./engine.sh podman)
say() { printf 'base-images: %s\n' "$*" >&2; }
die() { printf 'base-images: %s\n' "$*" >&2; exit 1; }

have_image() { "${ENGINE[@]}" image exists "$1"; }

debian_image() {
  have_image localhost/debian:bookworm && return
  local tarball="$DIR/images/debian-bookworm.tar"
  if [[ ! -s "$tarball" ]]; then
    command -v debootstrap >/dev/null || die "debootstrap is not installed"
    local root
    mkdir -p "$DIR/images"
    root="$(mktemp -d "$DIR/images/rootfs.XXXXXX")"
    say "building a minimal Debian 12 with debootstrap (about 35 s)"
    local started=$SECONDS
    if ! debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$DIR/images/debootstrap.log" 2>&1; then
      rm -rf "$root"
      die "debootstrap failed; its log ($DIR/images/debootstrap.log) ends with:
$(tail -n 15 "$DIR/images/debootstrap.log")"
    fi
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$root"
    say "debootstrap took $((SECONDS - started)) s"
  fi
  "${ENGINE[@]}" import --quiet "$tarball" localhost/debian:bookworm >/dev/null
}

node_image() {
  local version
  version="$(node --version)"
  if have_image localhost/teamhub-standin/node:20 \
    && [[ "$("${ENGINE[@]}" image inspect --format '{{ index .Labels "teamhub.node-version" }}' localhost/teamhub-standin/node:20)" == "$version" ]]; then
    return
  fi
  [[ "$version" == v20.* ]] || die "the host's node is $version; the image must run Node 20"
  local ctx npm_dir
  ctx="$(mktemp -d)"
  npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
  cp "$(readlink -f "$(command -v node)")" "$ctx/node"
  cp -a "$npm_dir" "$ctx/npm"
  say "building the Node image from this machine's node $version"
  "${ENGINE[@]}" build --quiet --network=none --label "teamhub.node-version=$version" -f "$PWD/node.Containerfile" -t localhost/teamhub-standin/node:20 "$ctx" >/dev/null
  rm -rf "$ctx"
}

# podman and runc leave empty state directories under /run behind; drop the ones this run made.
made_dirs=()
for d in /run/containers/networks /run/containers /run/runc; do [[ -e "$d" ]] || made_dirs+=("$d"); done
debian_image
node_image
for d in "${made_dirs[@]}"; do [[ -d "$d" ]] && rmdir --ignore-fail-on-non-empty "$d"; done
exit 0
