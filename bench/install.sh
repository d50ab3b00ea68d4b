#!/usr/bin/env bash
# Installs what the boot-transfer bench needs (run as root; idempotent): the anchor servers and the
# clients from Debian, gcc for bench/net/delay-line, and the npm devDependencies (the `tftp` package).
# tftpd-hpa and atftpd conflict as Debian packages (both provide "tftpd"), so atftpd's .deb is
# downloaded and unpacked under .cache/bench/atftpd instead of installed. No service is started:
# a policy-rc.d that refuses starts is in place during apt-get (and removed only if we created it).
set -euo pipefail
cd "$(dirname "$0")/.."
cache=.cache/bench
mkdir -p "$cache"

packages=(tftpd-hpa dnsmasq-base nginx-light tftp-hpa atftp busybox-static curl nftables iproute2 util-linux gcc libc6-dev libwrap0 libpcre2-8-0)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] || [ ! -x "$cache/atftpd/usr/sbin/atftpd" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench/install.sh: need root to install: ${missing[*]} atftpd (re-run with sudo)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  if [ ! -x "$cache/atftpd/usr/sbin/atftpd" ]; then
    rm -rf "$cache/debs" && mkdir -p "$cache/debs"
    (cd "$cache/debs" && apt-get download -qq atftpd 2>&1 | grep -v 'unsandboxed' || true)
    dpkg-deb -x "$cache"/debs/atftpd_*.deb "$cache/atftpd"
  fi
fi

if [ ! -d node_modules/tftp ] || [ ! -d node_modules/tsx ]; then
  npm ci --no-audit --no-fund
fi
