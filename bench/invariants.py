#!/usr/bin/env python3
"""Deep invariant runs: every Foundry invariant suite at 100,000 handler calls or more per invariant.

Finds the suites (`contracts/test/**/invariant*` and `*Invariants.t.sol`), runs each with
FOUNDRY_INVARIANT_RUNS x FOUNDRY_INVARIANT_DEPTH (default 500 x 200 = 100,000 calls per invariant;
override with the environment or `make test-deep INVARIANT_RUNS=.. INVARIANT_DEPTH=..`), reads
forge's `--json` report and writes `bench/results/invariants.json`: per invariant its runs, calls,
reverts and violations. Exits 1 if any invariant is violated (its counterexample is printed).
Python 3 standard library only.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
FORGE = ROOT / "node_modules" / ".bin" / "forge"
RESULTS = ROOT / "bench" / "results" / "invariants.json"


def suites():
    """Every invariant suite under contracts/test, as paths relative to contracts/."""
    found = set()
    for pattern in ("test/**/invariant*", "test/**/*Invariants.t.sol"):
        for path in CONTRACTS.glob(pattern):
            if path.is_file() and path.name.endswith(".sol"):
                found.add(path)
            elif path.is_dir():
                found.update(p for p in path.rglob("*.t.sol"))
    return sorted(p.relative_to(CONTRACTS).as_posix() for p in found)


def run_suite(path, env):
    """Runs the invariants of one suite file; returns (report, seconds)."""
    cmd = [
        str(FORGE), "test", "--json",
        "--skip", "script/**",
        "--match-path", path,
        "--match-test", "^invariant",
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=CONTRACTS, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"forge gave no JSON report for {path} (exit {proc.returncode})")
    return report, seconds


def main():
    runs = int(os.environ.get("FOUNDRY_INVARIANT_RUNS", "500"))
    depth = int(os.environ.get("FOUNDRY_INVARIANT_DEPTH", "200"))
    env = dict(os.environ, FOUNDRY_INVARIANT_RUNS=str(runs), FOUNDRY_INVARIANT_DEPTH=str(depth))
    started = time.monotonic()
    invariants = []
    for path in suites():
        print(f"{path}: {runs} runs x {depth} depth per invariant ...", flush=True)
        report, seconds = run_suite(path, env)
        for suite_id, suite in sorted(report.items()):
            for name, result in sorted(suite.get("test_results", {}).items()):
                kind = result.get("kind", {}).get("Invariant")
                if kind is None:
                    continue
                violated = result.get("status") != "Success"
                entry = {
                    "suite": suite_id,
                    "invariant": name.split("(")[0],
                    "runs": kind.get("runs"),
                    "calls": kind.get("calls"),
                    "reverts": kind.get("reverts"),
                    "violations": 1 if violated else 0,
                }
                if violated:
                    entry["reason"] = result.get("reason")
                    entry["counterexample"] = result.get("counterexample")
                invariants.append(entry)
                print(
                    f"  {entry['invariant']}: calls {entry['calls']:,}, reverts {entry['reverts']:,}, "
                    f"{'VIOLATED: ' + str(entry.get('reason')) if violated else 'held'}",
                    flush=True,
                )
        print(f"  ({seconds:.0f} s)", flush=True)
    wall = time.monotonic() - started
    out = {
        "runs": runs,
        "depth": depth,
        "calls_per_invariant": runs * depth,
        "wall_seconds": round(wall, 1),
        "invariants": invariants,
        "total_calls": sum(i["calls"] or 0 for i in invariants),
        "total_violations": sum(i["violations"] for i in invariants),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{len(invariants)} invariants, {out['total_calls']:,} calls, "
          f"{out['total_violations']} violated, {wall:.0f} s -> {RESULTS.relative_to(ROOT)}")
    if not invariants:
        raise SystemExit("no invariant found")
    if out["total_violations"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
