#!/usr/bin/env bash
# Installs the system tools the tests use (docs/architecture.md §5: real parts, not mocks), idempotently.
# Fails loudly when a tool cannot be installed: tests never skip for a missing tool.
set -euo pipefail

# Usage: setup-system.sh [build|all]   (build: what `npm ci` needs to compile the examples)
BUILD_PACKAGES=(clang lld wasi-libc libclang-rt-14-dev-wasm32)   # C → wasm32-wasi
TEST_PACKAGES=(
  qemu-utils fdisk                                 # qemu-img, sfdisk: disk image checks
  zfs-fuse                                         # ZFS interop
  passt socat dnsmasq iproute2 iputils-ping curl wrk python3-scapy  # network interop
  libc6-dev                                        # headers for osv-tap-relay (packages/vmm/native), built with clang
  chromium                                         # the vm-browser target (playwright-core drives it; never downloaded)
  time                                             # GNU time: CPU time and peak RSS in npm run bench
  openssl                                          # test certificates for the REST API's TLS (curl --cacert)
)
if [ "${1:-all}" = build ]; then PACKAGES=("${BUILD_PACKAGES[@]}"); else PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-system: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup-system: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

tools=(clang wasm-ld)
[ "${1:-all}" = build ] || tools+=(qemu-img sfdisk zfs-fuse zpool passt socat dnsmasq ip curl wrk chromium openssl)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "setup-system: $tool is still missing after install" >&2; exit 1; }
done
test -f /usr/lib/wasm32-wasi/libc.a || test -d /usr/lib/wasm32-wasi || { echo "setup-system: wasi-libc sysroot missing" >&2; exit 1; }
if [ "${1:-all}" != build ]; then
  /usr/bin/python3 -c 'import scapy' 2>/dev/null || { echo "setup-system: python3-scapy is not importable by /usr/bin/python3" >&2; exit 1; }
  test -f /usr/include/linux/if_tun.h || { echo "setup-system: linux/if_tun.h missing (linux-libc-dev)" >&2; exit 1; }
fi
