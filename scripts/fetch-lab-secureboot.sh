#!/usr/bin/env bash
# Puts Debian's signed Secure Boot chain into .cache/lab/sb/ for the firmware lab's Secure Boot
# test (docs/lab-notes.md, "The Secure Boot chain and its files"): the Microsoft-signed shim
# (shim-signed), Debian's signed GRUB network image (grub-efi-amd64-signed) and the signed
# MokManager (shim-helpers-amd64-signed).
# Fetched with `apt-get download` and unpacked with `dpkg-deb -x`; NEVER `apt-get install`
# shim-signed (it pulls grub-efi-amd64-bin and its maintainer scripts expect a GRUB-booted host).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.cache/lab/sb
if [ -s "$dest/shimx64.efi" ] && [ -s "$dest/grubx64.efi" ] && [ -s "$dest/mmx64.efi" ]; then exit 0; fi
mkdir -p "$dest/deb"
for pkg in shim-signed grub-efi-amd64-signed shim-helpers-amd64-signed; do
  if [ -z "$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/{print $2}' | grep -v '(none)')" ]; then
    echo "fetch-lab-secureboot: no $pkg in the apt lists; run 'apt-get update' first" >&2
    exit 1
  fi
  ( cd "$dest/deb" && apt-get download "$pkg" >/dev/null 2>&1 ) || {
    echo "fetch-lab-secureboot: 'apt-get download $pkg' failed" >&2; exit 1; }
done
rm -rf "$dest/x" && mkdir -p "$dest/x"
for deb in "$dest"/deb/*.deb; do dpkg-deb -x "$deb" "$dest/x"; done
# Names as served (the table in that docs/lab-notes.md section): shim is the NBP; GRUB's *network*
# image is served as grubx64.efi (shim asks for that fixed name); mmx64.efi is served but never
# requested in the lab.
cp "$dest/x/usr/lib/shim/shimx64.efi.signed" "$dest/shimx64.efi"
cp "$dest/x/usr/lib/grub/x86_64-efi-signed/grubnetx64.efi.signed" "$dest/grubx64.efi"
cp "$dest/x/usr/lib/shim/mmx64.efi.signed" "$dest/mmx64.efi"
for deb in "$dest"/deb/*.deb; do dpkg-deb -f "$deb" Package Version | paste -sd' '; done > "$dest/versions"
rm -rf "$dest/x" "$dest/deb"
