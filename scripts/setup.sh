#!/usr/bin/env bash
# Make a fresh Debian bookworm machine ready to build and test dualneuron.
#  1. If Node's WebGPU (Dawn) finds no adapter, install Mesa's lavapipe Vulkan driver from
#     bookworm-backports (bookworm's own Mesa 22 is too old for Dawn), adding that apt source if missing.
#  2. npm ci (or npm install when there is no lockfile), then build (tsc).
#  3. Debian's chromium, for the browser page test (test/web; skipped where Chromium is missing).
# Options: --with-python   also install Debian's python3-torch/torchvision/skimage/h5py (golden fixtures, benches).
#          --no-browser    do not install chromium.
# Idempotent: running it twice does nothing the second time.
set -euo pipefail
cd "$(dirname "$0")/.."

with_python=0
with_browser=1
for a in "$@"; do
  case "$a" in
    --with-python) with_python=1 ;;
    --no-browser) with_browser=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

apt_updated=0
apt_update() { if [ $apt_updated = 0 ]; then $SUDO apt-get update -qq; apt_updated=1; fi; }

ensure_backports_source() {
  if grep -rqs "bookworm-backports" /etc/apt/sources.list /etc/apt/sources.list.d/; then return; fi
  local uri
  uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uri="${uri:-http://deb.debian.org/debian}"
  echo "setup: adding bookworm-backports ($uri)"
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
    | $SUDO tee /etc/apt/sources.list.d/backports.sources >/dev/null
  apt_updated=0
}

# npm packages first: the adapter probe needs the `webgpu` package.
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

# DUALNEURON_SETUP_FORCE_INSTALL=1 takes the install path even when an adapter exists (to test this script)
if [ "${DUALNEURON_SETUP_FORCE_INSTALL:-0}" != 1 ] && node scripts/probe-adapter.mjs >/dev/null 2>&1; then
  echo "setup: WebGPU adapter found: $(node scripts/probe-adapter.mjs 2>/dev/null)"
else
  echo "setup: no WebGPU adapter; installing Mesa lavapipe (mesa-vulkan-drivers) from bookworm-backports"
  ensure_backports_source
  apt_update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  if ! node scripts/probe-adapter.mjs; then
    echo "setup: still no WebGPU adapter after installing lavapipe; see README 'Troubleshooting'" >&2
    exit 1
  fi
fi

if [ $with_python = 1 ]; then
  if ! /usr/bin/python3 -c 'import torch, torchvision, skimage, scipy, h5py' 2>/dev/null; then
    echo "setup: installing Debian python3-torch, python3-torchvision, python3-skimage, python3-scipy, python3-h5py, OpenBLAS"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-torch python3-torchvision python3-skimage python3-scipy python3-pil python3-h5py libopenblas0-pthread >/dev/null
  fi
fi
if [ $with_browser = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium (the browser page test drives it headless)"
  apt_update
  # not fatal: without Chromium the page test is skipped with its reason
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null || echo "setup: could not install chromium; the browser test will be skipped" >&2
fi
npm run build --silent
echo "setup: ready"
