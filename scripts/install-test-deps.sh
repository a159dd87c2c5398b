#!/usr/bin/env bash
# Installs the given commands from the system's packages when they are
# missing (Debian/Ubuntu, as root or through sudo); with no argument, what
# `make test` needs: redis-server, curl (the demo walk-through test pastes
# curl lines) and chromium (the admin console's browser tests drive a
# headless one). The Sentinel and Cluster tests need nothing more: they run
# sentinels as `redis-server <conf> --sentinel` (the redis-sentinel package
# only adds a symlink and a service) and form the cluster with CLUSTER
# commands, not redis-cli. Idempotent. The load harness calls it for wrk and
# nginx.
#
#   scripts/install-test-deps.sh [command …]   (each command's package has its name)
set -euo pipefail

[ $# -gt 0 ] || set -- redis-server curl chromium
need=()
for tool in "$@"; do
  command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${need[*]} and no apt-get here; install ${need[*]} with your package manager" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-test-deps: need root or sudo to install ${need[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-test-deps: installing ${need[*]} from the system packages" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# redis-server's package starts a system service on :6379; tests start their
# own servers on free ports and do not need it.
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install-test-deps: $tool still missing after install" >&2; exit 1; }
done
