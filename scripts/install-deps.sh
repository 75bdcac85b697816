#!/usr/bin/env bash
# Installs the Debian packages impactd needs to build, test and run its demo.
# Idempotent and quiet: it only talks (and only runs apt-get) when something
# is missing.  Works as root, or through sudo for another user.
set -euo pipefail

PACKAGES=(
        build-essential
        cmake
        pkg-config
        librdkafka-dev
        libavro-dev
        libhiredis-dev
        libyaml-dev
        libjansson-dev
        libssl-dev        # SHA-256 (libcrypto) for long trigger keys
        libcmocka-dev
        redis-server
        kcat
        clang     # the libFuzzer targets (scripts/fuzz.sh)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
        # "install ok installed" only: a removed package keeps a dpkg entry.
        status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != "install ok installed" ]]; then
                missing+=("$pkg")
        fi
done

if ((${#missing[@]} == 0)); then
        exit 0
fi

# sudo resets the environment, so the variable goes through env(1).
as_root=(env DEBIAN_FRONTEND=noninteractive)
if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
                echo "install-deps: missing ${missing[*]}; run as root (no sudo here)" >&2
                exit 1
        fi
        as_root=(sudo "${as_root[@]}")
fi

echo "install-deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done" >&2
