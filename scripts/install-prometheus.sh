#!/usr/bin/env bash
# Install Prometheus and promtool from Debian packages when they are missing (CI and the end-to-end
# test call this). The package's service is not started: the tests run their own server on loopback.
# Usage: scripts/install-prometheus.sh   (prints the directory holding the prometheus binary)
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  dirname "$(command -v prometheus)"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-prometheus: not root; install the 'prometheus' Debian package by hand" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus: apt-get not available" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Keep the package's own service from starting (a container has no init to stop it again).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT

echo "installing Prometheus from Debian packages..." >&2
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends prometheus >&2
dirname "$(command -v prometheus)"
