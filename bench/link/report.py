#!/usr/bin/env python3
"""Aggregates bench/link/run.sh raw lines into a markdown table: median pps of ours and of the C reference, ratio.

What is compared, per case:
  rx-*  : packets delivered per second to the consumer (ours: packets our dispatcher got; C: its reader's pps)
  tx-sock: packets the C reader received per second from the writer (ours: from WritePackets; C: its own writer)
  tx-veth: frames counted at the peer veth (ours: pktbench -m count dev_rx_pps; C: pktbench -m tx peer_rx_pps)
"""
import re
import statistics
import sys
from collections import defaultdict


def field(line, name):
    m = re.search(r"\b" + name + r"=([0-9.]+)", line)
    return float(m.group(1)) if m else None


def rate(impl, case, line):
    if impl == "netstack":
        key = "peer_pps" if case.startswith("tx-") else "pps"
        return field(line, key)
    if case.startswith("tx-veth"):
        return field(line, "peer_rx_pps")
    return field(line, "pps")


values = defaultdict(list)
alloc = defaultdict(list)
order = []
for path in sys.argv[1:]:
    for raw in open(path):
        parts = raw.split(" ", 2)
        if len(parts) < 3:
            continue
        impl, case, line = parts
        v = rate(impl, case, line)
        if v is None:
            continue
        if case not in order:
            order.append(case)
        values[(impl, case)].append(v)
        if impl == "netstack":
            a = field(line, "alloc_bytes_per_pkt")
            if a is not None:
                alloc[case].append(a)

print("| case | netstack Mpps | C Mpps | ratio | netstack runs | C runs | alloc B/pkt |")
print("|---|---|---|---|---|---|---|")
for case in order:
    ours = values.get(("netstack", case), [])
    ref = values.get(("c", case), [])
    mo = statistics.median(ours) if ours else 0
    mc = statistics.median(ref) if ref else 0
    ratio = f"{mo / mc:.0%}" if mc else "-"
    a = f"{max(alloc[case]):.3f}" if alloc[case] else "-"
    runs_o = " ".join(f"{v / 1e6:.2f}" for v in ours)
    runs_c = " ".join(f"{v / 1e6:.2f}" for v in ref)
    print(f"| {case} | {mo / 1e6:.3f} | {mc / 1e6:.3f} | {ratio} | {runs_o} | {runs_c} | {a} |")
