#!/usr/bin/env bash
# Install headless Chromium and its WebDriver from Debian packages when they are missing (CI calls
# this; the browser tests skip, saying why, where they are absent). No browser is downloaded by
# Selenium: the tests point it at /usr/bin/chromium and /usr/bin/chromedriver.
# Usage: scripts/install-chromium.sh   (prints the chromedriver path)
set -euo pipefail

if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  command -v chromedriver
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-chromium: not root; install the 'chromium' and 'chromium-driver' Debian packages by hand" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not available" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Other jobs on the machine may hold the dpkg lock: wait for it instead of failing.
apt_get() { apt-get -o DPkg::Lock::Timeout=600 "$@"; }
echo "installing Chromium from Debian packages..." >&2
apt_get update -qq >&2
apt_get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >&2
command -v chromedriver
