#!/usr/bin/env python3
"""Aggregates bench/link/run.sh raw lines into a markdown table: median pps of ours and of the C reference, ratio.

What is compared, per case:
  rx-*  : packets delivered per second to the consumer (ours: packets our dispatcher got; C: its reader's pps)
  tx-sock: packets the C reader received per second from the writer (ours: from WritePackets; C: its own writer)
  tx-veth: frames counted at the peer veth (ours: pktbench -m count dev_rx_pps; C: pktbench -m tx peer_rx_pps)
CPU ns/pkt: ours is our whole process's CPU time per packet; C's is the CPU time of its thread on the same side
(rx_cpu_ns / tx_cpu_ns). On a loaded machine the rates swing; CPU per packet moves much less.
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


def cpu(impl, case, line):
    """CPU ns per packet of the side under test (ours: our whole process; C: its thread on the same side)."""
    if impl == "netstack":
        return field(line, "cpu_ns")
    return field(line, "tx_cpu_ns" if case.startswith("tx-") else "rx_cpu_ns")


values = defaultdict(list)
cpus = defaultdict(list)
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
        c = cpu(impl, case, line)
        if c:
            cpus[(impl, case)].append(c)
        if impl == "netstack":
            a = field(line, "alloc_bytes_per_pkt")
            if a is not None:
                alloc[case].append(a)

print("| case | netstack Mpps | C Mpps | ratio | netstack runs | C runs | CPU ns/pkt ours | CPU ns/pkt C | C/ours CPU | alloc B/pkt |")
print("|---|---|---|---|---|---|---|---|---|---|")
for case in order:
    ours = values.get(("netstack", case), [])
    ref = values.get(("c", case), [])
    mo = statistics.median(ours) if ours else 0
    mc = statistics.median(ref) if ref else 0
    ratio = f"{mo / mc:.0%}" if mc else "-"
    a = f"{max(alloc[case]):.3f}" if alloc[case] else "-"
    runs_o = " ".join(f"{v / 1e6:.2f}" for v in ours)
    runs_c = " ".join(f"{v / 1e6:.2f}" for v in ref)
    co = statistics.median(cpus[("netstack", case)]) if cpus[("netstack", case)] else 0
    cc = statistics.median(cpus[("c", case)]) if cpus[("c", case)] else 0
    eff = f"{cc / co:.0%}" if co and cc else "-"
    print(f"| {case} | {mo / 1e6:.3f} | {mc / 1e6:.3f} | {ratio} | {runs_o} | {runs_c} | {co:.0f} | {cc:.0f} | {eff} | {a} |")
