#!/usr/bin/env bash
# The monev report's PDF is drawn by WeasyPrint, which needs Pango (and HarfBuzz, fontconfig) from the
# system, and fonts; poppler-utils (pdftoppm, pdftotext) is there to look at the pages. All Debian packages.
# Does nothing when they are already installed; uses sudo when not root. Others may run apt at the same
# time: wait for the lock instead of failing.
set -euo pipefail
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core poppler-utils)
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
