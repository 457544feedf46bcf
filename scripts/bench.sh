#!/usr/bin/env bash
# Runs netlab's benchmark suite and rewrites docs/benchmarks.md and
# docs/benchmarks-chat.svg: our servers side by side with socat, iperf3,
# xinetd and ncat --chat, on loopback, A B A B, fresh servers each run.
#
#   bash scripts/bench.sh                 # the full suite (~5 minutes; --rounds 5: ~8)
#   bash scripts/bench.sh --rounds 1      # any netlab-bench suite flag passes through
#   BENCH_NOTE="..." bash scripts/bench.sh  # a sentence about the conditions, in the report
#
# Needs: root or sudo for apt-get (the peers), a Rust toolchain, 2+ GiB of RAM.
# Run it on a quiet machine: other programs competing for the cores change
# the figures (the ratios less so, since ours and the peer alternate).
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. The peers. Debian/Ubuntu package names.
need=()
for tool in socat iperf3 ncat xinetd; do
    command -v "$tool" >/dev/null 2>&1 || need+=("$tool")
done
if ((${#need[@]})); then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

# 2. Release builds of ours, of the load tool and of its bare servers
#    (crates/bench/examples: the floor of the cases a target may be out of
#    the machine's reach), side by side.
cargo build --release -p echo -p time -p chat -p bench
cargo build --release -p bench --examples
target="${CARGO_TARGET_DIR:-target}"

# 3. The suite (10,000 idle connections need as many file descriptors;
#    netlab-bench raises its soft limit to the hard one by itself).
args=(suite --raw "$target/bench-results.json")
if [ -n "${BENCH_NOTE:-}" ]; then
    args+=(--note "$BENCH_NOTE")
fi
"$target/release/netlab-bench" "${args[@]}" "$@"
