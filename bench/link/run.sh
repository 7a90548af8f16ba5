#!/usr/bin/env bash
# Whole-system packet rates of the fd-based endpoint, side by side with the C reference programs of
# shared/bench/limits, in the same run: for each case, our endpoint paired with a C peer, then the C reference
# alone on the same medium, interleaved, REPS times; the table gives medians and the ratio ours / C.
#
#   sudo bench/link/run.sh                 # D=2 s per run, REPS=3, socketpair (dgram) and veth
#   D=3 REPS=5 TYPES="dgram seqpacket" sudo -E bench/link/run.sh
#
# Pinning follows the reference README: producer on CPU 0, consumer on CPU 1 (our process is pinned with
# taskset to the side it plays; the C programs pin their own threads). Needs root, gcc, iproute2, python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
limits="${LIMITS:-}"
for candidate in "$root/../shared/bench/limits" "$root/../../shared/bench/limits"; do
    [ -z "$limits" ] && [ -d "$candidate" ] && limits="$(cd "$candidate" && pwd)"
done
[ -n "$limits" ] || { echo "shared/bench/limits not found; set LIMITS=" >&2; exit 2; }
D="${D:-2}"
# Warm-up before each measured window. 3 s, because with our process pinned to one busy core the tiered JIT's
# background compiler gets little CPU: after 0.5 s the hot path still partly runs tier-0 code (~25% more CPU
# per packet). The C peers warm up as long.
export NETSTACK_BENCH_WARM="${WARM:-3}"
REPS="${REPS:-3}"
TYPES="${TYPES:-dgram}"
SIZES_SOCK="${SIZES_SOCK:-64 1500}"
SIZES_VETH="${SIZES_VETH:-64 1514}"
out="${OUT:-/tmp/netstack-link-bench}"
build=/tmp/limits-build
mkdir -p "$out"
raw="$out/raw.txt"
: > "$raw"

make -s -C "$limits" BUILD="$build" >&2
dotnet build "$root/bench/Netstack.Benchmarks" -c Release -nologo -v q >&2
ours="dotnet $root/bench/Netstack.Benchmarks/bin/Release/net10.0/Netstack.Benchmarks.dll link"
sp="$build/sockpair"
pb="$build/pktbench"

# One measurement: "impl case pps" appended to raw.
record() { # impl case command...
    local impl="$1" name="$2"; shift 2
    local line
    line=$("$@" 2>/dev/null | grep '^RESULT' | head -1) || true
    echo "$impl $name $line" >> "$raw"
    echo "$impl $name $line" >&2
}

"$limits/netns.sh" setup
trap '"$limits/netns.sh" teardown' EXIT

for rep in $(seq "$REPS"); do
    for type in $TYPES; do
        for size in $SIZES_SOCK; do
            record netstack "rx-sock.$type.$size.recvmmsg" taskset -c 1 $ours rx-sock "$type" "$size" recvmmsg "$D" "$sp"
            record c "rx-sock.$type.$size.recvmmsg" "$sp" -t "$type" -s "$size" -r mmsg -b 8 -w mmsg -B 47 -n -d "$D" -W "$NETSTACK_BENCH_WARM"
            record netstack "rx-sock.$type.$size.readv" taskset -c 1 $ours rx-sock "$type" "$size" readv "$D" "$sp"
            record c "rx-sock.$type.$size.readv" "$sp" -t "$type" -s "$size" -r readv -i 10 -w mmsg -B 47 -n -d "$D" -W "$NETSTACK_BENCH_WARM"
            record netstack "tx-sock.$type.$size.sendmmsg" taskset -c 0 $ours tx-sock "$type" "$size" "$D" "$sp"
            record c "tx-sock.$type.$size.sendmmsg" "$sp" -t "$type" -s "$size" -r mmsg -b 32 -w mmsg -B 47 -n -d "$D" -W "$NETSTACK_BENCH_WARM"
        done
    done
    for size in $SIZES_VETH; do
        record netstack "rx-veth.$size.recvmmsg" ip netns exec lim_a taskset -c 1 $ours rx-veth "$size" recvmmsg "$D" "$pb"
        record c "rx-veth.$size.recvmmsg" "$pb" -m rx -s "$size" -r mmsg -b 8 -d "$D" -W "$NETSTACK_BENCH_WARM"
        record netstack "rx-veth.$size.mmap" ip netns exec lim_a taskset -c 1 $ours rx-veth "$size" mmap "$D" "$pb"
        record c "rx-veth.$size.mmap" "$pb" -m rx -s "$size" -r ring1 -d "$D" -W "$NETSTACK_BENCH_WARM"
        record netstack "rx-veth.$size.readv" ip netns exec lim_a taskset -c 1 $ours rx-veth "$size" readv "$D" "$pb"
        record c "rx-veth.$size.readv" "$pb" -m rx -s "$size" -r mmsg -b 1 -d "$D" -W "$NETSTACK_BENCH_WARM"
        record netstack "tx-veth.$size.sendmmsg" ip netns exec lim_a taskset -c 0 $ours tx-veth "$size" "$D" "$pb"
        record c "tx-veth.$size.sendmmsg" "$pb" -m tx -s "$size" -B 47 -d "$D" -W "$NETSTACK_BENCH_WARM"
    done
done

/usr/bin/python3 "$root/bench/link/report.py" "$raw" | tee "$out/table.md"
