#!/usr/bin/env bash
# procfile-managers.sh - build the real overmind 2.5.1 and hivemind 1.1.0 (plus libnoutempter.so, the
# LD_PRELOAD workaround for the tmux < 3.6 hang) for the procfile behaviour tests, the image suite
# and the benches, from the vendored sources: ../shared/vendor/procfile-managers/ next to the clone
# (override with PM_VENDOR). No network: that folder holds the tagged sources and every Go module.
#
# Idempotent. Prints the directory holding overmind, hivemind and libnoutempter.so on stdout, nothing
# else. Output goes outside the git clone, keyed by the vendor folder's SHA256SUMS and build.sh:
#   $CFM_PROCFILE_MANAGERS  default /var/cache/create-fly-multiproc/procfile-managers
# (the tests look there too, see test/behaviour/managers.ts). Go's build cache is kept next to it,
# so a rebuild after a vendor change takes seconds. Needs Debian's golang-go and gcc (installed
# when missing, as root) and tmux to run overmind.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vendor=${PM_VENDOR:-$here/../shared/vendor/procfile-managers}
out=${CFM_PROCFILE_MANAGERS:-/var/cache/create-fly-multiproc/procfile-managers}
log() { printf '[procfile-managers] %s\n' "$*" >&2; }

if [ ! -x "$vendor/build.sh" ]; then
  if [ -x "$out/overmind" ] && [ -x "$out/hivemind" ] && [ -f "$out/libnoutempter.so" ]; then
    log "no $vendor/build.sh: using the binaries built before in $out"
    echo "$out"
    exit 0
  fi
  log "no $vendor/build.sh: set PM_VENDOR to the vendor/procfile-managers folder"
  exit 1
fi
vendor=$(cd "$vendor" && pwd)
key=$(cat "$vendor/SHA256SUMS" "$vendor/build.sh" | sha256sum | cut -c1-16)

mkdir -p "$(dirname "$out")"
# One build at a time (the behaviour tests, the image suite and the bench may start together).
if [ -z "${CFM_PM_LOCKED:-}" ]; then
  CFM_PM_LOCKED=1 exec flock -w 600 "$out.lock" bash "$0" "$@"
fi

if [ -f "$out/KEY" ] && [ "$(cat "$out/KEY")" = "$key" ] && [ -x "$out/overmind" ] && [ -x "$out/hivemind" ] && [ -f "$out/libnoutempter.so" ]; then
  echo "$out"
  exit 0
fi

missing=()
command -v go >/dev/null || missing+=(golang-go)
command -v gcc >/dev/null || missing+=(gcc)
command -v tmux >/dev/null || missing+=(tmux)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (apt-get install ${missing[*]})"
    exit 1
  fi
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

log "building overmind and hivemind from $vendor (key $key)"
tmp="$out.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
PM_GOCACHE="$out.gocache" "$vendor/build.sh" "$tmp" >&2
echo "$key" > "$tmp/KEY"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
