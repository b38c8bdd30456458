# Sourced by the provisioning scripts: fetches the upstream tarball (<package>_<version>.orig.tar.*)
# of a Debian source package from the archive's own index, never one Debian revision's packaging
# files (those leave the pool when a revision is superseded; the orig tarball stays while the
# upstream version does). Must never touch the system's apt state.
#
#   debian_orig_tarball PACKAGE DEST_DIR [MIN_MAJOR]
#     Reads Sources.xz of every suite in DEBIAN_SOURCE_SUITES (default: trixie trixie-updates
#     trixie-security), picks the highest upstream version (with major >= MIN_MAJOR), downloads its
#     orig tarball from each suite that carries it until one matches the SHA-256 the index lists,
#     and prints the tarball's path. Returns 1, having said why on stderr, when none can be had.
#
# The archive's address is the one the machine's apt already uses (its sources list), or
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR when set.

debian_log() { echo "provision: $*" >&2; }

# The first URI of the machine's apt sources whose path ends in $1 ("/debian" or "/debian-security").
debian_apt_uri() {
  local suffix=$1 files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -gt 0 ] || return 1
  awk -v suffix="$suffix" '
    /^[[:space:]]*#/ { next }
    /^URIs:/ { for (i = 2; i <= NF; i++) print $i; next }
    /^deb(-src)?[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
  ' "${files[@]}" | sed 's:/*$::' | grep -E "${suffix}\$" | head -1
}

debian_fetch() { # URL FILE: downloads with curl or wget, quietly, failing on HTTP errors
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 --connect-timeout 15 -o "$2" "$1"
  else
    wget -q -T 15 -t 2 -O "$2" "$1"
  fi
}

# Prints "version directory file sha256" for each stanza of PACKAGE in a Sources file.
debian_stanzas() {
  awk -v pkg="$1" '
    BEGIN { RS = ""; FS = "\n" }
    {
      mine = 0; version = ""; dir = ""; file = ""; sha = ""; insha = 0
      for (i = 1; i <= NF; i++) {
        line = $i
        if (line == "Package: " pkg) mine = 1
        if (line ~ /^Version: /) version = substr(line, 10)
        if (line ~ /^Directory: /) dir = substr(line, 12)
        if (line ~ /^Checksums-Sha256:/) { insha = 1; continue }
        if (insha && line ~ /^ /) {
          split(line, part, " ")
          if (part[3] ~ /\.orig\.tar\.(gz|xz|bz2)$/) { sha = part[1]; file = part[3] }
        } else insha = 0
      }
      if (mine && file != "") print version, dir, file, sha
    }' "$2"
}

debian_orig_tarball() {
  local package=$1 dest=$2 min_major=${3:-0}
  local main security suites suite base index candidates="" line
  main=${DEBIAN_MIRROR:-$(debian_apt_uri /debian)}
  security=${DEBIAN_SECURITY_MIRROR:-$(debian_apt_uri /debian-security)}
  [ -n "$security" ] || security="${main%/debian}/debian-security"
  suites=${DEBIAN_SOURCE_SUITES:-trixie trixie-updates trixie-security}
  if [ -z "$main" ]; then
    debian_log "no Debian archive address: the machine's apt sources name none (set DEBIAN_MIRROR)"
    return 1
  fi
  mkdir -p "$dest"
  for suite in $suites; do
    case "$suite" in *-security) base=$security ;; *) base=$main ;; esac
    index="$dest/Sources.$suite"
    if debian_fetch "$base/dists/$suite/main/source/Sources.xz" "$index.xz" && xz -dc "$index.xz" >"$index" 2>/dev/null; then
      while read -r line; do candidates+="$suite $base $line"$'\n'; done < <(debian_stanzas "$package" "$index")
    else
      debian_log "could not read the $suite source index at $base"
    fi
    rm -f "$index" "$index.xz"
  done
  # "suite base version directory file sha": the highest upstream version first.
  candidates=$(printf '%s' "$candidates" | awk -v min="$min_major" '
    NF == 6 { v = $3; sub(/^[0-9]+:/, "", v); sub(/-[^-]*$/, "", v); split(v, n, "."); if (n[1] + 0 >= min) print v, $0 }' |
    sort -s -t ' ' -k1,1Vr | cut -d ' ' -f2-)
  if [ -z "$candidates" ]; then
    debian_log "no suite of [$suites] lists a $package source package (major >= $min_major)"
    return 1
  fi
  local best_file suite_ base_ version dir file sha out
  best_file=$(printf '%s\n' "$candidates" | head -1 | cut -d ' ' -f5)
  while read -r suite_ base_ version dir file sha; do
    [ "$file" = "$best_file" ] || continue
    out="$dest/$file"
    debian_log "fetching $file ($package $version, $suite_)"
    if debian_fetch "$base_/$dir/$file" "$out.part"; then
      if [ "$(sha256sum "$out.part" | cut -d ' ' -f1)" = "$sha" ]; then
        mv "$out.part" "$out"
        echo "$out"
        return 0
      fi
      debian_log "$file from $suite_ does not match the index's SHA-256: discarded"
    else
      debian_log "$file is not served by $suite_"
    fi
    rm -f "$out.part"
  done <<<"$candidates"
  debian_log "no suite served a verified $best_file"
  return 1
}
