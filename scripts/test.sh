#!/usr/bin/env bash
# Runs every test: installs the kernel-side tools the integration tests drive (as root, when missing),
# builds, runs the test project and prints the totals. The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
# gcc links the native (Native AOT) CLI that ./netstack builds, which the CLI tests run.
for tool in ip:iproute2 ping:iputils-ping socat:socat tshark:tshark nft:nftables ethtool:ethtool tcpdump:tcpdump gcc:gcc; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || need+=("${tool#*:}")
done
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ]; then
    echo "installing: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null \
        || echo "warning: could not install ${need[*]}; tests that need them will say so" >&2
fi

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
dotnet build Netstack.slnx -c Release -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }
# The CLI tests run the netstack command as users do (native when it could be built, else the JIT build).
./netstack --version >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
export NETSTACK_CLI="$PWD/netstack"
dotnet test tests/Netstack.Tests -c Release --no-build --nologo \
    --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" "$@"
status=$?

trx=$(find "$results" -name '*.trx' | head -1)
if [ -n "$trx" ]; then
    passed=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    failed=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    skipped=$(grep -o 'notExecuted="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    echo "skipped: ${skipped:-0}"
    echo "${passed:-0} passed, ${failed:-0} failed"
else
    echo "0 passed, 1 failed"
    status=1
fi
exit $status
