#!/usr/bin/env bash
# Install what cablesim needs to build and test on Debian 12 (run as root).
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libuv1-dev libmsgpack-dev libcmocka-dev
      libyaml-dev libjansson-dev libisal-dev)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
