#!/usr/bin/env bash
# Provisions the Redis servers the test harness, benchmarks and demo start, once per machine:
# - Redis 7: Debian's redis-server package, installed with apt when no 7.x binary is present;
# - Redis 8: built from Debian's own source package (Debian 13 "trixie" ships Redis 8) into a cache
#   folder. The system's apt sources are never touched: the trixie source index lives in the cache.
#
# Prints the path of a redis-server >= 8 on its last line. Idempotent: a cached build is reused.
#   REDIS8_CACHE   where to keep the Redis 8 build (default ~/.cache/redis-agent-memory)
set -euo pipefail

cache="${REDIS8_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-agent-memory}"
bin="$cache/redis-8/bin"

# One provisioning at a time per machine: parallel test runs wait here for the first one's build.
mkdir -p "$cache"
exec 9>"$cache/.provision.lock"
flock 9

major_of() { "$1" --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'; }
log() { echo "provision-redis: $*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Redis 7 from Debian (bookworm ships 7.0).
if [ "$(major_of /usr/bin/redis-server)" != 7 ]; then
  log "installing Debian's redis-server (Redis 7)"
  apt_install redis-server
fi

# 1. A redis-server >= 8 already on PATH wins.
if onpath=$(command -v redis-server 2>/dev/null) && [ "$(major_of "$onpath")" -ge 8 ] 2>/dev/null; then
  echo "$onpath"; exit 0
fi
# 2. A previous build.
if [ -x "$bin/redis-server" ] && [ "$(major_of "$bin/redis-server")" -ge 8 ] 2>/dev/null; then
  echo "$bin/redis-server"; exit 0
fi

need=()
for pkg in dpkg-dev build-essential libssl-dev pkg-config; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing build tools: ${need[*]}"
  apt_install "${need[@]}"
fi

work="$cache/src"
rm -rf "$work" && mkdir -p "$work/apt/lists/partial"
printf 'deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n' \
  >"$work/apt/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
         -o "Dir::State::Lists=$work/apt/lists" -o APT::Sandbox::User=root)

log "fetching Debian's redis source package (trixie)"
apt-get "${aptopts[@]}" update -qq
(cd "$work" && apt-get "${aptopts[@]}" source --download-only -qq redis >/dev/null)
dsc=$(ls "$work"/redis_*.dsc | head -1)
dpkg-source --no-check -x "$dsc" "$work/redis" >/dev/null

log "building $(basename "$dsc" .dsc) (make BUILD_TLS=yes), about two minutes"
make -C "$work/redis" -j"$(nproc)" BUILD_TLS=yes >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; exit 1; }

mkdir -p "$bin"
for b in redis-server redis-cli; do cp "$work/redis/src/$b" "$bin/$b"; done
rm -rf "$work"
log "installed $("$bin/redis-server" --version)"
echo "$bin/redis-server"
