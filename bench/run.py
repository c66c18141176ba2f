#!/usr/bin/env python3
"""Times `palisade scan` on a directory: median wall time and peak memory over several runs.

Usage: bench/run.py DIR [--runs N] [--bin PATH] [-- EXTRA SCAN ARGS, e.g. --select PS1]

Reports three lines: the full scan (rules + JSON report), parse only (`--parse-only`: read, parse,
build objects, no rules, no findings), and the overhead of rules + reporting over parsing. Build the
binary first: `cargo build --release`.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def measure(cmd, runs):
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)  # KiB -> MiB
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.exit(f"{' '.join(cmd)} exited {code}: {proc.stderr.read().decode()[:2000]}")
        proc.stderr.close()
    return statistics.median(walls), max(rss), min(walls)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "x86_64-unknown-linux-gnu", "release", "palisade"))
    a, extra = ap.parse_known_args()
    extra = [x for x in extra if x != "--"]
    base = [a.bin, "scan", a.dir, "--no-config", "--format", "json"] + extra
    # One warm-up run so the page cache holds the corpus, as it would on a CI runner's second step.
    measure(base, 1)
    full, full_rss, full_min = measure(base, a.runs)
    parse, parse_rss, parse_min = measure(base + ["--parse-only"], a.runs)
    print(f"corpus: {a.dir} ({a.runs} runs each, cores: {os.cpu_count()})")
    print(f"full scan:   median {full * 1000:8.1f} ms  (min {full_min * 1000:.1f})  peak RSS {full_rss:7.1f} MiB")
    print(f"parse only:  median {parse * 1000:8.1f} ms  (min {parse_min * 1000:.1f})  peak RSS {parse_rss:7.1f} MiB")
    print(f"rules + reporting over parsing: {100 * (full - parse) / parse:+.1f} %")


if __name__ == "__main__":
    main()
