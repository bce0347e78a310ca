#!/usr/bin/env python3
"""Slither over the contracts, gated by a committed triage file (`contracts/slither-triage.json`).

Builds `contracts/src` with the pinned forge (through the solc-js shim) into `run/slither/`, apart from the
shared `out/` and `cache/`, runs Slither on that build and compares each finding with the triage file:

- `check` (what `make lint` runs): prints every untriaged finding and exits 1 if one of them is High or Medium
  impact; triaged findings that Slither no longer reports are listed as stale (fixed: delete their entry).
- `list` (`make slither-triage`): prints every untriaged finding as a ready-to-paste triage entry whose
  `reason` is left for a person to write; exits 0.

A finding's key is its detector and the names of the code it points at (contract, function, the statement's
text), not its line numbers, so unrelated edits do not untriage it; changing the flagged statement does.
Python 3 standard library only; Slither itself runs from the venv `make lint` creates.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
FORGE = ROOT / "node_modules" / ".bin" / "forge"
SLITHER = ROOT / ".venv-slither" / "bin" / "slither"
TRIAGE = CONTRACTS / "slither-triage.json"
BUILD = ROOT / "run" / "slither"
GATED = {"High", "Medium"}


def build():
    """Compiles src/ with build info into run/slither (never touching the shared out/ and cache/).

    The previous build is removed first: forge keeps old build-info files next to new ones, and Slither then reads
    a stale compilation (or refuses the mix), so a finding could come from source that no longer exists.
    """
    shutil.rmtree(BUILD, ignore_errors=True)
    cmd = [
        str(FORGE), "build", "src", "--build-info",
        "--out", str(BUILD / "out"), "--cache-path", str(BUILD / "cache"),
    ]
    proc = subprocess.run(cmd, cwd=CONTRACTS, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("forge build for Slither failed")


def run_slither():
    """Slither's findings on the build, as its JSON `detectors` list."""
    report = BUILD / "report.json"
    report.unlink(missing_ok=True)
    env = dict(os.environ, PATH=f"{FORGE.parent}:{os.environ.get('PATH', '')}")
    cmd = [
        str(SLITHER), ".",
        "--foundry-ignore-compile",
        "--foundry-out-directory", str(BUILD / "out"),
        "--exclude-informational", "--exclude-optimization",
        "--json", str(report),
    ]
    proc = subprocess.run(cmd, cwd=CONTRACTS, env=env, capture_output=True, text=True)
    if not report.exists():
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit("Slither produced no report")
    data = json.loads(report.read_text())
    if not data.get("success"):
        raise SystemExit(f"Slither failed: {data.get('error')}")
    return data.get("results", {}).get("detectors", [])


def _scope(element):
    """`Contract.function` (or whatever encloses the element), from Slither's parent chain."""
    names = []
    parent = element.get("type_specific_fields", {}).get("parent")
    while parent:
        names.append(parent.get("name", ""))
        parent = parent.get("type_specific_fields", {}).get("parent")
    return ".".join(reversed(names))


def key(finding):
    """A line-number-free identity: detector, then each element's kind, scope and name (sorted)."""
    parts = sorted({
        f"{e.get('type')} {_scope(e)}{'.' if _scope(e) else ''}{' '.join(e.get('name', '').split())}"
        for e in finding.get("elements", [])
    })
    return f"{finding['check']}: " + " | ".join(parts)


def summary(finding):
    first = finding.get("description", "").strip().splitlines()
    return first[0] if first else finding["check"]


def load_triage():
    if not TRIAGE.exists():
        return {}
    entries = json.loads(TRIAGE.read_text()).get("findings", [])
    return {e["key"]: e for e in entries}


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    if mode not in ("check", "list"):
        raise SystemExit(__doc__)
    build()
    findings = run_slither()
    triage = load_triage()
    # Slither may report one finding twice (a file compiled under two compiler profiles): one key, one finding.
    seen = set()
    unique = []
    for finding in findings:
        k = key(finding)
        if k not in seen:
            seen.add(k)
            unique.append(finding)
    findings = unique
    untriaged = [f for f in findings if key(f) not in triage]
    stale = sorted(set(triage) - seen)

    if mode == "list":
        entries = [{
            "key": key(f), "check": f["check"], "impact": f["impact"], "confidence": f["confidence"],
            "summary": summary(f), "status": "TODO: accepted | false-positive", "reason": "TODO",
        } for f in untriaged]
        print(json.dumps(entries, indent=2))
        print(f"{len(findings)} findings, {len(untriaged)} untriaged, {len(stale)} stale triage entries",
              file=sys.stderr)
        for k in stale:
            print(f"stale (no longer reported; delete): {k}", file=sys.stderr)
        return

    gated = [f for f in untriaged if f["impact"] in GATED]
    for f in untriaged:
        print(f"UNTRIAGED {f['impact']}/{f['confidence']} {f['check']}: {summary(f)}")
        print(f"  key: {key(f)}")
    for k in stale:
        print(f"stale triage entry (no longer reported; delete it): {k}")
    print(f"slither: {len(findings)} findings, {len(findings) - len(untriaged)} triaged, "
          f"{len(untriaged)} untriaged ({len(gated)} high/medium)")
    if gated:
        print("new High/Medium findings: fix them, or triage them with a reason in contracts/slither-triage.json "
              "(`make slither-triage` prints the entries; see docs/slither.md)")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
