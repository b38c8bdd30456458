#!/usr/bin/env bash
# Provisions the PostgreSQL 15 + pgvector the test harness and the benchmarks start (the cold tier's
# store), once per machine, without touching the system's PostgreSQL:
# - PostgreSQL 15 from Debian's packages (postgresql-15; postgresql-server-dev-15 to build against),
#   installed with apt only when missing;
# - a private copy of its binaries, lib and share dirs in a cache folder: PostgreSQL finds its
#   share and lib dirs relative to its binary's real location, so the copy loads extensions from
#   the copy (copied, not symlinked: postgres resolves symlinks);
# - pgvector built from the upstream tarball Debian's archive carries (pgvector_<version>.orig.tar.gz,
#   version read from the index, SHA-256 checked: see debian-source.sh) and installed into the copy.
#
# Prints, on its last line, the bin dir of a PostgreSQL whose `CREATE EXTENSION vector` works
# (nothing when POSTGRES_URL is set: the caller uses that server). Idempotent: a cached tree is reused.
#   POSTGRES_URL     a running PostgreSQL with pgvector to use instead: nothing is provisioned
#   PGVECTOR_CACHE   where to keep the tree (default ~/.cache/redis-agent-memory, as for Redis 8)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=debian-source.sh
. "$here/debian-source.sh"

log() { echo "provision-pgvector: $*" >&2; }
sudo_if_needed() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PostgreSQL refuses to run as root. As root, its programs run in a user namespace as an ordinary
# user (the postgres account, else nobody) that the kernel still treats as root for files, so the
# cache may sit in root's 0700 home. local-postgres.ts does the same (serverCommand).
as_server_user() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  unshare --user --map-user="$(id -u postgres 2>/dev/null || id -u nobody)" "$@"
}

if [ -n "${POSTGRES_URL:-}" ]; then
  log "POSTGRES_URL is set: using that server, nothing to provision"
  exit 0
fi

cannot_provision() {
  cat >&2 <<EOF

provision-pgvector: could not provision PostgreSQL 15 with pgvector: $1

  The suite and the benchmarks need a PostgreSQL with the pgvector extension (the cold tier). Either:
    - use a running one:          POSTGRES_URL=postgresql://user@host:5432/db npm test
                                  (its role must be allowed to CREATE EXTENSION vector)
    - or let this script build one: it needs Debian's postgresql-15 and postgresql-server-dev-15
      (installed with apt when missing), make and gcc, and the Debian archive (the machine's apt
      sources, or DEBIAN_MIRROR=<archive URL>) to serve pgvector_<version>.orig.tar.gz from a suite
      of [${DEBIAN_SOURCE_SUITES:-trixie trixie-updates trixie-security}].

EOF
  exit 1
}

major=15
system_bin=/usr/lib/postgresql/$major/bin
cache="${PGVECTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/redis-agent-memory}"
tree="$cache/pg$major-pgvector"
# The tree mirrors /usr, so the binaries' relative paths to share/ and lib/ are Debian's.
bin="$tree/usr/lib/postgresql/$major/bin"
ready() { [ -f "$tree/SOURCE" ] && "$bin/postgres" --version >/dev/null 2>&1; }

mkdir -p "$cache"
# One provisioning at a time per cache (its own lock: a Redis 8 build does not hold this one up).
exec 9>"$cache/.provision-pgvector.lock"
flock 9
if ready; then echo "$bin"; exit 0; fi

started=$(date +%s)
need=()
[ -x "$system_bin/postgres" ] || need+=("postgresql-$major")
[ -f "/usr/include/postgresql/$major/server/postgres.h" ] || need+=("postgresql-server-dev-$major")
for pkg in build-essential curl xz-utils ca-certificates; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing with apt: ${need[*]}"
  apt_install "${need[@]}" || cannot_provision "could not install ${need[*]}"
fi
[ -x "$system_bin/postgres" ] || cannot_provision "no PostgreSQL $major server at $system_bin"

work=$(mktemp -d "$cache/build.XXXXXX")
# The proof server's data and socket: a short path (a unix socket's is limited to 107 bytes).
run=$(mktemp -d "${TMPDIR:-/tmp}/am-pgvector.XXXXXX")
cleanup() {
  [ -f "$run/data/postmaster.pid" ] && as_server_user "$stage_bin/pg_ctl" -D "$run/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$work" "$run"
}
trap cleanup EXIT

# The private tree: the server binaries, their lib dir (with pgxs) and their share dir.
stage="$work/install"
mkdir -p "$stage/usr/lib/postgresql/$major/bin" "$stage/usr/share/postgresql"
for b in postgres initdb pg_ctl pg_config pg_isready psql; do
  cp "$system_bin/$b" "$stage/usr/lib/postgresql/$major/bin/$b"
done
cp -a "/usr/lib/postgresql/$major/lib" "$stage/usr/lib/postgresql/$major/lib"
cp -a "/usr/share/postgresql/$major" "$stage/usr/share/postgresql/$major"
stage_bin="$stage/usr/lib/postgresql/$major/bin"
# pg_config computes its dirs the way postgres does: relative to its own location.
if [ "$("$stage_bin/pg_config" --sharedir)" != "$stage/usr/share/postgresql/$major" ] ||
  [ "$("$stage_bin/pg_config" --pkglibdir)" != "$stage/usr/lib/postgresql/$major/lib" ]; then
  cannot_provision "the copied PostgreSQL does not look for its files beside itself (pg_config: $("$stage_bin/pg_config" --sharedir))"
fi

tarball=$(debian_orig_tarball pgvector "$work") || cannot_provision "no verified pgvector tarball could be fetched"
mkdir "$work/pgvector"
tar -xf "$tarball" -C "$work/pgvector" --strip-components=1
log "building $(basename "$tarball") against PostgreSQL $major; once per machine, about 20 s"
# Built with the system's pg_config (its headers and pgxs), placed into the copy with DESTDIR.
# with_llvm=no: no JIT bitcode (needs clang, saves time; the JIT inlines nothing of pgvector's).
pgx=(PG_CONFIG="$system_bin/pg_config" with_llvm=no)
{ make -C "$work/pgvector" -j"$(nproc)" "${pgx[@]}" && make -C "$work/pgvector" "${pgx[@]}" install DESTDIR="$stage"; } \
  >"$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; cannot_provision "the build failed (its last lines are above)"; }

# Proof before install: the copy starts (unix socket only, no TCP) and creates the extension.
as_server_user "$stage_bin/initdb" -D "$run/data" -U postgres -A trust -E UTF8 --no-sync >"$run/initdb.log" 2>&1 || {
  tail -20 "$run/initdb.log" >&2; cannot_provision "initdb of the copied PostgreSQL failed"; }
as_server_user "$stage_bin/pg_ctl" -D "$run/data" -w -t 30 -l "$run/server.log" \
  -o "-c listen_addresses= -c unix_socket_directories=$run -c fsync=off" start >/dev/null || {
  tail -20 "$run/server.log" >&2; cannot_provision "the copied PostgreSQL did not start"; }
got=$("$stage_bin/psql" -h "$run" -U postgres -d postgres -XAtq -v ON_ERROR_STOP=1 \
  -c 'CREATE EXTENSION vector' -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'" \
  -c "SELECT '[1,0,0]'::vector <=> '[0,1,0]'::vector" 2>&1) || cannot_provision "CREATE EXTENSION vector failed: $got"
as_server_user "$stage_bin/pg_ctl" -D "$run/data" -m fast stop >/dev/null
version=$(printf '%s\n' "$got" | head -1)
[ "$(printf '%s\n' "$got" | tail -1)" = 1 ] || cannot_provision "pgvector answered an unexpected cosine distance: $got"

# Installed whole or not at all: a half-copied tree is never found by the next run.
printf '%s\npgvector %s\n%s\n' "$(basename "$tarball")" "$version" "$("$stage_bin/postgres" --version)" >"$stage/SOURCE"
rm -rf "$tree"
mv "$stage" "$tree"
log "installed pgvector $version into a copy of $("$bin/postgres" --version) in $(( $(date +%s) - started )) s"
echo "$bin"
