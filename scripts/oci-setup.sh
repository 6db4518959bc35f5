#!/usr/bin/env bash
# oci-setup.sh - make `podman build/run` usable for the image tests (npm run test:image) and
# scripts/bench-image.mjs on our machine kind: root, no container registry, hybrid cgroups.
# Recipe and pitfalls: shared/reference/container-testing.md.
#
# Idempotent. Prints the path of the podman wrapper ($OCI_ROOT/bin/pm) on stdout, nothing else.
# Leaves behind, all outside the git clone:
#   $OCI_ROOT        podman store + private config (default /var/tmp/create-fly-multiproc-oci)
#   $OCI_BASE_CACHE  debootstrapped debian:bookworm-slim tarball, one per ISO week, so security
#                    updates are picked up (default /var/cache/create-fly-multiproc)
# and in the store these local images, so that no FROM ever needs a registry:
#   docker.io/library/debian:bookworm-slim   imported from the tarball
#   localhost/cfm-base:bookworm              debian:bookworm-slim + python3: the "company base image"
#                                            the tests pass with --base-image (their servers are python)
#   localhost/cfm-base-foreman:bookworm      the same + Debian's foreman, for the procfile stand-in
#                                            manager (overmind/hivemind cannot be built here)
#   node, oven/bun, python, golang, ruby, rust, nginx under their official names: stand-ins
#                                            (scripts/oci-standins.sh; CFM_OCI_STANDINS=0 skips them)
# System-wide it only installs Debian packages (podman, runc, debootstrap, catatonit) when they are missing.
# Undo: "$OCI_ROOT/bin/pm" system reset -f && rm -rf "$OCI_ROOT" "$OCI_BASE_CACHE".
set -euo pipefail
OCI_ROOT=${OCI_ROOT:-/var/tmp/create-fly-multiproc-oci}
OCI_BASE_CACHE=${OCI_BASE_CACHE:-/var/cache/create-fly-multiproc}
R=$OCI_ROOT
log() { printf '[oci-setup] %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  log "needs root (podman with native overlay storage, apt-get); run it as root or under sudo"
  exit 1
fi
mkdir -p "$R/conf" "$R/tmp" "$R/networks" "$R/bin" "$OCI_BASE_CACHE"
# One setup at a time (the image suite and the bench may start together).
if [ -z "${CFM_OCI_SETUP_LOCKED:-}" ]; then
  CFM_OCI_SETUP_LOCKED=1 exec flock -w 1800 "$R/setup.lock" bash "$0" "$@"
fi

# 1. Packages (~25 s when missing). runc: Debian's default runtime crun refuses hybrid cgroups.
#    catatonit: the init of `podman run --init` (Fly's own init is PID 1 on a Machine).
missing=""
for tool in podman runc debootstrap catatonit; do
  command -v "$tool" >/dev/null || missing="$missing $tool"
done
if [ -n "$missing" ]; then
  log "installing$missing"
  apt-get update -qq
  # shellcheck disable=SC2086  # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# 2. Private config: runc, ulimits no higher than our hard limits (root here has no
#    CAP_SYS_RESOURCE), host network only (no bridge, no iptables rules), all state under $R.
# Files are replaced atomically and only when they change: a concurrent run may be reading them.
put() { # put FILE [MODE] < content
  cat > "$1.part.$$"
  if [ -n "${2:-}" ]; then chmod "$2" "$1.part.$$"; fi
  if cmp -s "$1.part.$$" "$1"; then rm -f "$1.part.$$"; else mv -f "$1.part.$$" "$1"; fi
}
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
put "$R/conf/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=32768:32768"]
netns = "host"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$R/tmp"
[network]
network_config_dir = "$R/networks"
EOF
put "$R/conf/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$R/storage"
runroot = "$R/runroot"
EOF
# The same explicit storage flags on every call, from the first one on: conmon's cleanup fails
# ("database configuration mismatch") when calls with and without them share a store.
put "$R/bin/pm" 0755 <<EOF
#!/bin/sh
export CONTAINERS_CONF="$R/conf/containers.conf" CONTAINERS_STORAGE_CONF="$R/conf/storage.conf"
exec podman --root "$R/storage" --runroot "$R/runroot" --storage-driver overlay "\$@"
EOF
PM=$R/bin/pm

# 3. debian:bookworm-slim, debootstrapped from the mirror apt already uses and slimmed like the
#    official image (~40 s). Keyed by ISO week; older tarballs are removed.
WEEK=$(date -u +%G-W%V)
BASE_TAR=$OCI_BASE_CACHE/debian-bookworm-slim-$WEEK.tar
if [ ! -s "$BASE_TAR" ]; then
  MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1 || true)
  MIRROR=${MIRROR:-$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)}
  if [ -z "$MIRROR" ]; then log "no Debian mirror found in the apt sources"; exit 1; fi
  log "debootstrap bookworm from $MIRROR (about 40 s)"
  RFS=$R/rootfs
  rm -rf "$RFS"
  if ! timeout 600 debootstrap --variant=minbase bookworm "$RFS" "$MIRROR" >"$R/debootstrap.log" 2>&1; then
    tail -20 "$R/debootstrap.log" >&2
    rm -rf "$RFS"
    exit 1
  fi
  rm -rf "$RFS"/var/cache/apt/archives/*.deb "$RFS"/var/cache/apt/*.bin "$RFS"/var/lib/apt/lists/*
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    rm -f "$RFS/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$RFS/etc/apt/sources.list.d/"   # + updates, security
  fi
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    > "$RFS/etc/dpkg/dpkg.cfg.d/docker"
  cat > "$RFS/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  find "$RFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$RFS"/usr/share/man/* "$RFS"/usr/share/locale/* "$RFS"/usr/share/info/*
  : > "$RFS/etc/hostname"
  tar --numeric-owner -C "$RFS" -cf "$BASE_TAR.part" . && mv "$BASE_TAR.part" "$BASE_TAR"
  rm -rf "$RFS"
  find "$OCI_BASE_CACHE" -maxdepth 1 -name 'debian-bookworm-slim-*.tar*' ! -name "$(basename "$BASE_TAR")" -delete
fi

label() { # label IMAGE KEY -> the label's value, empty when the image or the label is missing
  "$PM" image inspect --format "{{ index .Labels \"$2\" }}" "$1" 2>/dev/null || true
}
DEBIAN=docker.io/library/debian:bookworm-slim
if [ "$(label "$DEBIAN" cfm.base-tar)" != "$(basename "$BASE_TAR")" ]; then
  log "importing $(basename "$BASE_TAR") as $DEBIAN"
  timeout 300 "$PM" import -q --change 'CMD ["bash"]' --change "LABEL cfm.base-tar=$(basename "$BASE_TAR")" \
    "$BASE_TAR" "$DEBIAN" >/dev/null
fi
DEBIAN_ID=$("$PM" image inspect --format '{{.Id}}' "$DEBIAN")

# 4. The base images the tests pass with --base-image, rebuilt whenever debian:bookworm-slim changes:
#    python3 for their server program; + Debian's foreman for the procfile stand-in manager.
build_base() { # build_base TAG FROM PACKAGES...
  local tag=$1 from=$2 ctx
  shift 2
  if [ "$(label "$tag" cfm.debian-id)" = "$DEBIAN_ID" ]; then return; fi
  log "building $tag"
  ctx=$R/base-context
  rm -rf "$ctx"
  mkdir -p "$ctx"
  cat > "$ctx/Dockerfile" <<EOF
FROM $from
RUN apt-get update \\
 && apt-get install -y --no-install-recommends $* \\
 && rm -rf /var/lib/apt/lists/*
ENV PYTHONUNBUFFERED=1
EOF
  if ! timeout 900 "$PM" build -q --pull=never --network host --label "cfm.debian-id=$DEBIAN_ID" -t "$tag" "$ctx" >"$R/base-build.log" 2>&1; then
    tail -30 "$R/base-build.log" >&2
    exit 1
  fi
  rm -rf "$ctx"
  REBUILT=1
}
REBUILT=0
build_base localhost/cfm-base:bookworm "$DEBIAN" python3
build_base localhost/cfm-base-foreman:bookworm localhost/cfm-base:bookworm ruby-foreman
if [ "$REBUILT" = 1 ]; then "$PM" image prune -f >/dev/null 2>&1 || true; fi   # the previous week's layers

# 5. Stand-ins for the official runtime images (node, oven/bun, python, golang, ruby, rust, nginx),
#    tagged with their official names: scripts/oci-standins.sh, test-image/standins/README.md.
#    About 4 min on a fresh machine; nothing when their recipes and debian:bookworm-slim are unchanged.
if [ "${CFM_OCI_STANDINS:-1}" != 0 ]; then
  OCI_ROOT=$R OCI_BASE_CACHE=$OCI_BASE_CACHE bash "$(dirname "${BASH_SOURCE[0]}")/oci-standins.sh" "$PM" "$DEBIAN_ID"
fi

echo "$PM"
