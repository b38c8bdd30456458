#!/usr/bin/env bash
# Provisions the Redis servers the test harness, benchmarks and demo start, once per machine:
# - Redis 7: Debian's redis-server package, installed with apt when no 7.x binary is present;
# - Redis 8: built from the upstream tarball Debian's archive carries for its next release
#   (redis_<version>.orig.tar.gz, version read from the index, SHA-256 checked) into a cache folder.
#   The system's apt state is never touched for it: see debian-source.sh.
#
#   provision-redis.sh [all|8]    "8" provisions Redis 8 only (the demo needs nothing else)
#
# Prints the path of a redis-server >= 8 on its last line (nothing when REDIS_URL is set: the
# caller uses that server). Idempotent: a cached build is reused.
#   REDIS_URL       a running Redis to use instead: nothing is provisioned
#   REDIS8_SERVER   a redis-server >= 8 binary to use instead of building one
#   REDIS8_CACHE    where to keep the Redis 8 build (default ~/.cache/redis-agent-memory)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=debian-source.sh
. "$here/debian-source.sh"

what=${1:-all}
log() { echo "provision-redis: $*" >&2; }
major_of() { "$1" --version 2>/dev/null | sed -n 's/.* v=\([0-9]*\)\..*/\1/p'; }
is_redis8() { [ -x "$1" ] && [ "$(major_of "$1")" -ge 8 ] 2>/dev/null; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ -n "${REDIS_URL:-}" ]; then
  log "REDIS_URL is set: using that server, nothing to provision"
  exit 0
fi

cannot_provision() {
  cat >&2 <<EOF

provision-redis: could not provision Redis 8: $1

  The suite, the demo and the benchmarks need a Redis 8 server (vector sets). Either:
    - use a running one:         REDIS_URL=redis://host:6379 npm test
    - use a binary you have:     REDIS8_SERVER=/path/to/redis-server npm test
    - or let this script build one: it needs the Debian archive (the machine's apt sources, or
      DEBIAN_MIRROR=<archive URL>) to serve redis_<version>.orig.tar.gz from a suite of
      [${DEBIAN_SOURCE_SUITES:-trixie trixie-updates trixie-security}], and make, gcc, libssl-dev, pkg-config.

EOF
  exit 1
}

if [ -n "${REDIS8_SERVER:-}" ]; then
  is_redis8 "$REDIS8_SERVER" || cannot_provision "REDIS8_SERVER=$REDIS8_SERVER is not a redis-server of version 8 or later"
fi

# Redis 7 from Debian (bookworm ships 7.0).
if [ "$what" = all ] && [ "$(major_of /usr/bin/redis-server)" != 7 ]; then
  log "installing Debian's redis-server (Redis 7)"
  apt_install redis-server || log "could not install Debian's redis-server: the Redis 7 runs will be skipped"
fi

if [ -n "${REDIS8_SERVER:-}" ]; then echo "$REDIS8_SERVER"; exit 0; fi
# A redis-server >= 8 already on PATH wins.
if onpath=$(command -v redis-server 2>/dev/null) && is_redis8 "$onpath"; then echo "$onpath"; exit 0; fi

cache="${REDIS8_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-agent-memory}"
bin="$cache/redis-8/bin"
mkdir -p "$cache"
# One provisioning at a time per cache: parallel runs wait here for the first one's build.
exec 9>"$cache/.provision.lock"
flock 9
if is_redis8 "$bin/redis-server"; then echo "$bin/redis-server"; exit 0; fi

started=$(date +%s)
need=()
for pkg in build-essential libssl-dev pkg-config curl xz-utils ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing build tools: ${need[*]}"
  apt_install "${need[@]}" || cannot_provision "could not install the build tools (${need[*]})"
fi

work=$(mktemp -d "$cache/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
tarball=$(debian_orig_tarball redis "$work" 8) || cannot_provision "no verified Redis 8 tarball could be fetched"
mkdir "$work/redis"
tar -xf "$tarball" -C "$work/redis" --strip-components=1
log "building $(basename "$tarball") (make BUILD_TLS=yes); once per machine, about three minutes on two cores (187 s measured, -O3 with LTO)"
make -C "$work/redis" -j"$(nproc)" BUILD_TLS=yes >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log" >&2; cannot_provision "the build failed (its last lines are above)"; }

# Installed whole or not at all: a half-copied build is never found by the next run.
mkdir -p "$work/install/bin"
for b in redis-server redis-cli; do cp "$work/redis/src/$b" "$work/install/bin/$b"; done
basename "$tarball" >"$work/install/SOURCE"
rm -rf "$cache/redis-8"
mv "$work/install" "$cache/redis-8"
log "installed $("$bin/redis-server" --version) in $(( $(date +%s) - started )) s"
echo "$bin/redis-server"
