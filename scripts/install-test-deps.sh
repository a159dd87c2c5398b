#!/usr/bin/env bash
# Installs what `make test` needs when it is missing: redis-server and curl
# from the system's packages (Debian/Ubuntu, as root or through sudo). Idempotent.
set -euo pipefail

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v curl >/dev/null 2>&1 || need+=(curl) # the demo walk-through test pastes curl lines
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
# The package starts a system service on :6379; tests start their own servers
# on free ports and do not need it.
command -v redis-server >/dev/null 2>&1 || { echo "install-test-deps: redis-server still missing after install" >&2; exit 1; }
