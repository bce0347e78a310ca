#!/usr/bin/env python3
"""Coverage-guided fuzzing of the Rust decoders of untrusted input (`fuzz/`, cargo-fuzz + libFuzzer).

Builds every target, then runs each for FUZZ_SECONDS (default 60) from its committed corpus
(`fuzz/corpus/<target>/`, read only) into a scratch corpus (`fuzz/work/<target>/`, git-ignored),
and writes `bench/results/fuzz.json`: per target its executions (libFuzzer's
`stat::number_of_executed_units`), seconds and crashes (a run of some targets updates only theirs). A crash, panic, timeout or out-of-memory
leaves its input in `fuzz/artifacts/<target>/` and makes the run exit 1; reproduce it with
`fuzz/target/<triple>/release/<target> <input>` and turn it into a regression test of the owning
crate. Python 3 standard library only.

Usage: bench/fuzz.py [--seconds N] [target ...]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "fuzz"
RESULTS = ROOT / "bench" / "results" / "fuzz.json"
TARGETS = ["message", "events", "multiproof", "api", "config", "consensus", "batch"]
TRIPLE = "x86_64-unknown-linux-gnu"


def build(env):
    """Builds every target with libFuzzer instrumentation (no sanitizer: the project forbids unsafe code)."""
    cmd = ["cargo", "fuzz", "build", "--fuzz-dir", str(FUZZ), "-s", "none", "--target", TRIPLE]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def run(target, seconds, env):
    binary = FUZZ / "target" / TRIPLE / "release" / target
    corpus = FUZZ / "corpus" / target
    work = FUZZ / "work" / target
    artifacts = FUZZ / "artifacts" / target
    for d in (work, artifacts):
        d.mkdir(parents=True, exist_ok=True)
    before = set(artifacts.iterdir())
    cmd = [
        str(binary), str(work), str(corpus),
        f"-max_total_time={seconds}",
        "-print_final_stats=1",
        "-timeout=10",
        "-rss_limit_mb=2048",
        "-max_len=8192",
        f"-artifact_prefix={artifacts}/",
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, errors="replace")
    elapsed = time.monotonic() - start
    log = proc.stderr
    (FUZZ / "work" / f"{target}.log").write_text(log)
    executions = last_int(r"stat::number_of_executed_units:\s*(\d+)", log)
    if executions is None:
        executions = last_int(r"Done (\d+) runs", log)
    new = sorted(set(artifacts.iterdir()) - before)
    crashed = proc.returncode != 0
    if crashed and not new:
        sys.stderr.write(log[-3000:])
    return {
        "executions": executions or 0,
        "seconds": round(elapsed, 1),
        "crashes": max(len(new), 1 if crashed else 0),
        "exec_per_second": round((executions or 0) / elapsed) if elapsed else 0,
        "coverage": last_int(r"cov: (\d+)", log),
        "corpus_inputs": len(list(corpus.iterdir())),
        "artifacts": [p.relative_to(ROOT).as_posix() for p in new],
    }


def last_int(pattern, text):
    found = re.findall(pattern, text)
    return int(found[-1]) if found else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("targets", nargs="*", default=TARGETS)
    args = parser.parse_args()
    env = dict(os.environ, RUSTC_BOOTSTRAP="1")
    build(env)
    results = {}
    for target in args.targets:
        print(f"fuzz {target}: {args.seconds} s ...", flush=True)
        results[target] = run(target, args.seconds, env)
        r = results[target]
        print(f"  {r['executions']:,} executions in {r['seconds']} s, {r['crashes']} crashes"
              + (f": {', '.join(r['artifacts'])}" if r["artifacts"] else ""), flush=True)
    # A run of some targets keeps the other targets' figures from the last full run.
    merged = {}
    if RESULTS.exists() and set(args.targets) != set(TARGETS):
        merged = json.loads(RESULTS.read_text()).get("targets", {})
    for target, r in results.items():
        merged[target] = dict(r, seconds_asked=args.seconds)
    out = {"targets": merged, "total_crashes": sum(r["crashes"] for r in merged.values())}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"-> {RESULTS.relative_to(ROOT)}")
    if out["total_crashes"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
