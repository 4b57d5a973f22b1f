#!/usr/bin/env bash
# Installs the Debian 12 packages that qspool's tests and benchmarks need.
# Idempotent and quick on re-run: packages already installed are skipped, and
# when nothing is missing apt is not touched at all (no `apt-get update`).
#
#   scripts/services/install-debian-packages.sh            # install what is missing
#   scripts/services/install-debian-packages.sh --check    # exit 1 if something is missing
#
# What and why:
#   radosgw ceph-mon ceph-osd   real S3 server (Ceph RGW) for scripts/services/ceph-rgw.sh.
#                               That is the minimal set: RGW needs one monitor and one
#                               OSD; ceph-mgr is NOT needed (the cluster just reports
#                               "no active mgr"). ceph-common (ceph CLI, radosgw-admin)
#                               and ceph-base (monmaptool, RADOS object classes such as
#                               cls_rgw that the OSD loads for RGW) come in as dependencies.
#   redis-server                scripts/services/redis.sh (brings redis-tools: redis-cli).
#   chromium chromium-driver    browser tests.
#   python3                     only if missing (Debian's ceph CLI also pulls it in).
#   python3-numpy python3-scipy only if python3 cannot import them: the independent numpy reference of the
#                               physics tests (test/physics/numpy/), which skip without it.
# --no-install-recommends keeps out e.g. ceph-mgr, ceph-mds, smartmontools, nvme-cli.
set -euo pipefail

PACKAGES=(radosgw ceph-mon ceph-osd redis-server chromium chromium-driver)
command -v python3 >/dev/null 2>&1 || PACKAGES+=(python3)
python3 -c 'import numpy, scipy.sparse' >/dev/null 2>&1 || PACKAGES+=(python3-numpy python3-scipy)

say() { echo "install-debian-packages: $*" >&2; }

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  say "all installed: ${PACKAGES[*]}"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  say "missing: ${missing[*]}"
  exit 1
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { say "ERROR: need root (or sudo) to install: ${missing[*]}"; exit 1; }
  SUDO=(sudo -n)
fi

log="$(mktemp -t install-debian-packages.XXXXXX.log)"
apt() {
  # DPkg::Lock::Timeout: wait for a concurrent apt/dpkg instead of failing at once.
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1
}
die() {
  say "ERROR: $*"
  echo "----- last lines of $log -----" >&2
  tail -n 30 "$log" >&2
  exit 1
}

say "installing: ${missing[*]} (log: $log)"
start=$SECONDS
apt update || die "apt-get update failed (no network to the Debian mirrors?)"
apt install --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"

for p in "${missing[@]}"; do
  installed "$p" || die "package $p is still not installed after apt-get install"
done
say "installed ${#missing[@]} package(s) in $((SECONDS - start))s"
rm -f "$log"
