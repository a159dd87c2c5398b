#!/usr/bin/env bash
# The load harness (make bench): the gateway against nginx proxy_pass
# and the direct origin, pinned (wrk on CPU 0, everything else on CPU 1),
# in interleaved rounds; the list route also with the response cache on
# (gw-cache, --upstream-cache-ttl 2s, against nginx-cache, proxy_cache 2s). Results go to benchmarks/out/<time>/ (summary.md,
# samples.tsv, every process's log, the generated nginx.conf, the profile).
#
#   benchmarks/load/run.sh [driver flags]        e.g. -rounds 3 -duration 5s
#   BASE=<git revision> benchmarks/load/run.sh    also runs that revision's
#                                                 gateway (gw-base) on the list route
#
# Installs wrk, nginx and redis-server from the system's packages when they
# are missing (Debian/Ubuntu, as root or through sudo). Needs Go and 2 CPUs.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash scripts/install-test-deps.sh wrk nginx redis-server
command -v taskset >/dev/null 2>&1 || { echo "run.sh: taskset (util-linux) is required" >&2; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
  echo "run.sh: needs 2 CPUs (wrk on CPU 0, the servers on CPU 1); this machine has $(nproc)" >&2
  exit 1
fi

bin=bin/bench
mkdir -p "$bin"
version=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
ldflags="-X main.version=$version -X main.commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "run.sh: building into $bin ($version)" >&2
go build -trimpath -ldflags "$ldflags" -o "$bin/" ./cmd/reportgate ./benchmarks/load/upstream ./benchmarks/load/gwprof ./benchmarks/load/driver

args=()
if [ -n "${BASE:-}" ]; then
  src=$(mktemp -d)
  echo "run.sh: building reportgate at $BASE as gw-base" >&2
  git archive "$BASE" | tar -x -C "$src"
  (cd "$src" && go build -trimpath -ldflags "-X main.version=$BASE" -o "$OLDPWD/$bin/reportgate-base" ./cmd/reportgate)
  rm -rf "$src"
  args+=(-base-bin "$bin/reportgate-base")
fi

# The driver waits while wrk runs; it shares wrk's CPU.
exec taskset -c 0 "$bin/driver" -bin "$bin" "${args[@]}" "$@"
