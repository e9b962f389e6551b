#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests (they drive /usr/bin/chromium through
# Playwright and never download a browser). Does nothing when it is already there.
set -euo pipefail

if [[ -x /usr/bin/chromium ]]; then
  echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-chromium.sh: run as root (apt-get install -y chromium)" >&2; exit 1; }
  sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
/usr/bin/chromium --version
