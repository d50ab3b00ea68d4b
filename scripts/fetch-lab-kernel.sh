#!/usr/bin/env bash
# Puts a bootable x86-64 Linux kernel (and its efivarfs module) into .cache/lab/ for the firmware
# lab: Debian's signed cloud kernel, fetched with `apt-get download` and unpacked, not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/lab
[ -s "$dest/vmlinuz" ] && exit 0
mkdir -p "$dest/deb"
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$pkg" ]; then
  echo "fetch-lab-kernel: no linux-image-cloud-amd64 in the apt lists; run 'apt-get update' first" >&2
  exit 1
fi
( cd "$dest/deb" && apt-get download "$pkg" >/dev/null 2>&1 )
deb=$(ls "$dest"/deb/*.deb | head -1)
rm -rf "$dest/x" && mkdir -p "$dest/x" && dpkg-deb -x "$deb" "$dest/x"
cp "$dest"/x/boot/vmlinuz-* "$dest/vmlinuz.tmp" && mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
find "$dest/x" -name 'efivarfs.ko*' -exec cp {} "$dest/" \; || true
echo "$pkg" > "$dest/kernel-version"
rm -rf "$dest/x" "$dest/deb"
