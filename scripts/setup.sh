#!/usr/bin/env bash
# Installs whatever `make run` / `make test` need and is missing; fast and silent when nothing is.
#   scripts/setup.sh          what `make run` needs: node_modules (npm ci), nats-server
#   scripts/setup.sh --test   the same, plus docker-compose (the static tests validate the compose file),
#                             chromium (the browser tests) and podman with its base images (the
#                             containers tier); both build the web page (web/dist) and compile the
#                             hub into dist/
# Debian packages are installed with apt-get (via `sudo -n` when not root); when that is not
# possible it stops and prints the exact packages to install.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

# --- Debian packages --------------------------------------------------------------------------
missing_pkgs=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing_pkgs+=("$2"); }

apt_updated=0
as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}
can_apt() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [[ "$(id -u)" == 0 ]] && return 0
  command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null
}
apt_install() {
  if ! can_apt; then
    die "missing Debian packages: $*
  install them, then run this again:
    sudo apt-get update && sudo apt-get install -y $*"
  fi
  say "installing Debian packages: $*"
  if [[ $apt_updated == 0 ]]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Node ------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not installed; teamhub needs Node.js >= 20.19 (Debian: nodejs from nodesource, or nvm)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js $(node --version) is too old; teamhub needs >= 20.19"
command -v npm >/dev/null 2>&1 || die "npm is not installed (Debian package: npm)"

# --- node_modules ----------------------------------------------------------------------------
# Stale when absent, or when package-lock.json is newer than npm's own record of the install and
# `npm ls` agrees something is missing or wrong (so touching the lock file alone costs ~1 s, not a reinstall).
needs_ci=0
if [[ ! -d node_modules || ! -f node_modules/.package-lock.json ]]; then
  needs_ci=1
elif [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  if npm ls --all >/dev/null 2>&1; then touch node_modules/.package-lock.json; else needs_ci=1; fi
fi
# A symlinked node_modules is an install shared with other checkouts (git worktrees): `npm ci`
# here would empty it for all of them, so it is left to the checkout that owns it.
if [[ $needs_ci == 1 && -L node_modules ]]; then
  die "node_modules is a symlink to a shared install ($(readlink node_modules)) that looks out of date with
  this checkout's package-lock.json (npm ls --all disagrees); not running npm ci through the link.
  Update it where it lives, or replace the link with a copy of your own: rm node_modules && cp -a $(readlink node_modules) ."
fi
if [[ $needs_ci == 1 ]]; then
  # better-sqlite3 compiles from source here (no prebuilt binary can be downloaded): ~1 min.
  need_cmd g++ g++
  need_cmd make make
  need_cmd python3 python3
  if ((${#missing_pkgs[@]})); then apt_install "${missing_pkgs[@]}"; missing_pkgs=(); fi
  say "installing node packages (npm ci; better-sqlite3 builds from source, about a minute)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json
fi

# --- services the hub and the tests start ----------------------------------------------------
need_cmd nats-server nats-server
if [[ $want_test == 1 ]]; then need_cmd docker-compose docker-compose; fi
# the browser tests drive Debian's Chromium (/usr/bin/chromium) with playwright-core
if [[ $want_test == 1 && ! -x /usr/bin/chromium ]]; then missing_pkgs+=(chromium); fi
if ((${#missing_pkgs[@]})); then apt_install "${missing_pkgs[@]}"; fi

# --- the containers tier (scripts/containers/, test/containers/) --------------------------------
# It runs docker-compose.yml for real on Debian's rootful podman (driven by docker-compose through
# podman's Docker API), so it needs podman's packages and two images no registry has to give:
# a minimal Debian from debootstrap and Node copied from this machine, kept in the engine's own
# store (scripts/containers/base-images.sh; about a minute the first time, then instant).
if [[ $want_test == 1 ]]; then
  container_pkgs=()
  for pkg in podman netavark aardvark-dns catatonit runc iptables nftables debootstrap uidmap docker-compose; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || container_pkgs+=("$pkg")
  done
  if ((${#container_pkgs[@]})); then apt_install "${container_pkgs[@]}"; fi
  if ! as_root bash scripts/containers/base-images.sh; then
    say "the containers tier's base images could not be built (above); that tier will fail until they can"
  fi
fi

# --- the web page (web/ -> web/dist, served by the gateway at /); skipped when up to date -------
node scripts/build-web.mjs

# --- the hub compiled into dist/ (what make run and the tests start); skipped when up to date -----
node scripts/build.mjs

exit 0
