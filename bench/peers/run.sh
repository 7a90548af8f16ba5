#!/bin/bash
# bench/peers/run.sh - whole-system benchmark of `netstack up` next to gVisor's netstack (gvpeer), in one
# session, through the shared harness (../shared/bench/peers/harness.sh): for each link mode, our stack and
# then gVisor's, with the same kernel-side clients; then both tables side by side (compare.sh).
#
# usage: sudo bench/peers/run.sh [options] [-- extra harness options]
#   --modes LIST     comma list of tun, tap, veth (default tun,tap,veth)
#   --reps N         repetitions per configuration (default 3)
#   --tests LIST     harness tests (default: the harness's own list)
#   --serve LIST     what `netstack up --serve` runs (default echo,discard,chargen,udp-echo)
#   --up-args ARGS   more options for `netstack up` (e.g. "--gso 0")
#   --gvpeer PATH    the gVisor peer (default /tmp/gvpeer; built with gvisor/build.sh when missing)
#   --harness DIR    the shared harness directory (default: ../shared/bench/peers beside the repo, or /work/shared/bench/peers)
#   --out DIR        results directory (default /tmp/netstack-peers-DATE)
#   --only WHO       netstack or gvisor: run one side only
# The results: OUT/{netstack,gvisor}-MODE/ (results.txt, results.json), OUT/compare-MODE.md, OUT/compare.md.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MODES=tun,tap,veth REPS=3 TESTS= SERVE=echo,discard,chargen,udp-echo UP_ARGS= GVPEER=/tmp/gvpeer OUT= ONLY=
HARNESS_DIR=
for d in "$REPO/../shared/bench/peers" /work/shared/bench/peers; do
	[ -x "$d/harness.sh" ] && { HARNESS_DIR=$(cd "$d" && pwd); break; }
done
while [ $# -gt 0 ]; do
	case "$1" in
	--modes) MODES=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--tests) TESTS=$2; shift 2 ;;
	--serve) SERVE=$2; shift 2 ;;
	--up-args) UP_ARGS=$2; shift 2 ;;
	--gvpeer) GVPEER=$2; shift 2 ;;
	--harness) HARNESS_DIR=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--) shift; break ;;
	-h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d'; exit 0 ;;
	*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
EXTRA=("$@")
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (the harness makes namespaces and devices)" >&2; exit 2; }
[ -n "$HARNESS_DIR" ] && [ -x "$HARNESS_DIR/harness.sh" ] || { echo "run.sh: no harness.sh (give --harness DIR)" >&2; exit 2; }
case "$ONLY" in ""|netstack|gvisor) ;; *) echo "run.sh: --only netstack or gvisor" >&2; exit 2 ;; esac
OUT=${OUT:-/tmp/netstack-peers-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"

# Our side: the Release build the repo's ./netstack script runs (built once here, not inside a timed run).
dotnet build "$REPO/src/Netstack.Cli" -c Release -nologo -v q >&2 || { echo "run.sh: build failed" >&2; exit 1; }
if [ "$ONLY" != netstack ] && [ ! -x "$GVPEER" ]; then
	"$HARNESS_DIR/gvisor/build.sh" "$GVPEER" || { echo "run.sh: cannot build gvpeer" >&2; exit 1; }
fi

A=(--address {ADDR} --address {ADDR6} --serve "$SERVE")
G=(-addr {ADDR} -addr6 {ADDR6})
# shellcheck disable=SC2206
UP_EXTRA=($UP_ARGS)
ours() {
	case "$1" in
	tun) echo "$REPO/netstack up --tun {DEV} ${A[*]} ${UP_EXTRA[*]}" ;;
	tap) echo "$REPO/netstack up --tap {DEV} --mac {MAC} ${A[*]} ${UP_EXTRA[*]}" ;;
	veth) echo "$REPO/netstack up --packet {DEV} --dispatch recvmmsg ${A[*]} ${UP_EXTRA[*]}" ;;
	esac
}
theirs() {
	case "$1" in
	tun) echo "$GVPEER -mode tun -dev {DEV} ${G[*]}" ;;
	tap) echo "$GVPEER -mode tap -dev {DEV} -mac {MAC} ${G[*]}" ;;
	veth) echo "$GVPEER -mode packet -dev {DEV} -dispatch recvmmsg ${G[*]}" ;;
	esac
}

{
	echo "date=$(date -u +%FT%TZ) kernel=$(uname -r) cpus=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "netstack=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) gvpeer=$GVPEER modes=$MODES reps=$REPS tests=${TESTS:-default}"
	echo "users: $(who | wc -l) logged in; other busy processes at start:"
	ps -eo pcpu,comm --sort=-pcpu | awk 'NR > 1 && $1 > 5' | head -5
} > "$OUT/conditions.txt"

run_one() { # label mode command
	local label=$1 mode=$2 cmd=$3 topts=()
	[ -n "$TESTS" ] && topts=(--tests "$TESTS")
	# shellcheck disable=SC2086
	"$HARNESS_DIR/harness.sh" --mode "$mode" --reps "$REPS" --label "$label" --out "$OUT/$label" \
		"${topts[@]}" "${EXTRA[@]}" -- $cmd
}

IFS=, read -r -a modes <<< "$MODES"
for mode in "${modes[@]}"; do
	case "$mode" in tun|tap|veth) ;; *) echo "run.sh: unknown mode $mode (tun, tap, veth)" >&2; exit 2 ;; esac
	[ "$ONLY" = gvisor ] || run_one "netstack-$mode" "$mode" "$(ours "$mode")"
	[ "$ONLY" = netstack ] || run_one "gvisor-$mode" "$mode" "$(theirs "$mode")"
	dirs=()
	for who in netstack gvisor; do [ -f "$OUT/$who-$mode/results.json" ] && dirs+=("$OUT/$who-$mode"); done
	[ ${#dirs[@]} -gt 0 ] && "$HARNESS_DIR/compare.sh" "${dirs[@]}" > "$OUT/compare-$mode.md"
done

all=()
for mode in "${modes[@]}"; do
	for who in netstack gvisor; do [ -f "$OUT/$who-$mode/results.json" ] && all+=("$OUT/$who-$mode"); done
done
{
	cat "$OUT/conditions.txt"
	echo
	[ ${#all[@]} -gt 0 ] && "$HARNESS_DIR/compare.sh" "${all[@]}"
} > "$OUT/compare.md"
cat "$OUT/compare.md"
echo "run.sh: results in $OUT" >&2
