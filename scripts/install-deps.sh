#!/usr/bin/env bash
# Installs everything peerboot's demo and tests need on a fresh Debian 12 machine (run as root):
# Debian packages for the firmware lab and the real-client interop tests, then `npm ci`.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # firmware lab: QEMU, SeaBIOS, iPXE ROMs and binaries, OVMF (UEFI), the unchanged DHCP server
  qemu-system-x86 qemu-utils seabios ipxe-qemu ipxe ovmf dnsmasq-base
  # lab plumbing: namespaces, bridges, shaping and loss, captures, initramfs building
  iproute2 nftables iputils-ping tcpdump cpio gzip busybox-static kmod
  # real TFTP / HTTP clients for interop tests
  tftp-hpa atftp curl
  # Windows BCD verification, control-plane database, console browser tests
  libhivex-bin libwin-hivex-perl postgresql chromium
  # benchmarks' anchors (atftpd conflicts with tftpd-hpa as a package: bench/install.sh unpacks it
  # under .cache/bench instead) and gcc for the bench's delay line
  tftpd-hpa nginx-light gcc libc6-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: need root to install: ${missing[*]} (re-run with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Keep the anchor servers from starting system-wide services: the tests start their own.
  # (An existing policy-rc.d, e.g. Docker's, is left alone.)
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

# A Linux kernel for the lab machines to boot: Debian's cloud kernel, downloaded, never installed.
bash scripts/fetch-lab-kernel.sh
# Debian's signed Secure Boot chain (shim, GRUB network image), downloaded, never installed.
bash scripts/fetch-lab-secureboot.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
