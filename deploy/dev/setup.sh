#!/usr/bin/env bash
# Installs what StorePulse needs on a fresh Debian machine: system packages
# (only those missing), then a virtualenv with the project and its dev extra.
set -euo pipefail
VENV="${1:-.venv}"
# fonts-wqy-microhei: CJK glyphs for Chromium (the zh-CN store page; 1.6 MB, no web fonts)
APT_PACKAGES=(mosquitto postgresql pcscd vsmartcard-vpcd libpcsclite-dev swig socat chromium fonts-wqy-microhei iproute2)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup: installing ${missing[*]}"
        # Wait for another apt (unattended upgrades, a colleague's install) instead of failing.
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
    else
        echo "setup: missing system packages (install them as root): ${missing[*]}" >&2
    fi
fi

PYTHON="${PYTHON:-python3}"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q -e ".[dev]"
