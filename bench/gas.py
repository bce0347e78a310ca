#!/usr/bin/env python3
"""Measures transaction gas of the contracts as users pay it.

Starts a throwaway anvil on a free loopback port, runs each gas benchmark script (a forge script that
broadcasts real transactions and labels the ones to measure by sender nonce), reads every labelled
transaction's receipt, and writes `bench/results/gas.json`: a flat JSON object of integer gas by name.
Then checks the figures against `bench/gas-budgets.json` and exits non-zero if any budget is exceeded.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
BIN = ROOT / "node_modules" / ".bin"
RESULTS = ROOT / "bench" / "results" / "gas.json"
BUDGETS = ROOT / "bench" / "gas-budgets.json"
# anvil's first default account: a well-known development key, only ever used on a local throwaway chain.
DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
SCRIPTS = [
    "script/bench/MessagingGas.s.sol:MessagingGas",
    "script/bench/CoreGas.s.sol:CoreGas",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rpc(url: str, method: str, params: list):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    req = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        reply = json.load(resp)
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


def wait_for(url: str) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            rpc(url, "eth_chainId", [])
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"anvil did not answer at {url}")


def run_script(target: str, url: str) -> dict:
    """Runs one bench script; returns {name: gas}."""
    scratch = ROOT / "run" / "bench"
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        labels_path = Path(tmp) / "labels.json"
        env = dict(os.environ, BENCH_PRIVATE_KEY=DEV_KEY, BENCH_LABELS_OUT=str(labels_path))
        cmd = [str(BIN / "forge"), "script", target, "--rpc-url", url, "--broadcast", "--slow",
               "--gas-estimate-multiplier", "200", "--disable-code-size-limit"]
        proc = subprocess.run(cmd, cwd=CONTRACTS, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise RuntimeError(f"forge script {target} failed")
        labels = json.loads(labels_path.read_text())
    sender = rpc(url, "eth_accounts", [])[0]
    figures = {}
    for name, label in labels.items():
        tx_hash = find_tx(url, sender, label["nonce"])
        receipt = rpc(url, "eth_getTransactionReceipt", [tx_hash])
        if receipt["status"] != "0x1":
            raise RuntimeError(f"{name}: measured transaction reverted ({tx_hash})")
        figures[name] = int(receipt["gasUsed"], 16) // label["divisor"]
    return figures


def find_tx(url: str, sender: str, nonce: int) -> str:
    """The hash of `sender`'s transaction with `nonce` (anvil mines one block per transaction here)."""
    latest = int(rpc(url, "eth_blockNumber", []), 16)
    for number in range(latest, -1, -1):
        block = rpc(url, "eth_getBlockByNumber", [hex(number), True])
        for tx in block["transactions"]:
            if tx["from"].lower() == sender.lower() and int(tx["nonce"], 16) == nonce:
                return tx["hash"]
    raise RuntimeError(f"no transaction from {sender} with nonce {nonce}")


def main() -> int:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    anvil = subprocess.Popen([str(BIN / "anvil"), "--port", str(port), "--host", "127.0.0.1",
                              "--gas-limit", "100000000", "--disable-code-size-limit", "--silent"])
    try:
        wait_for(url)
        figures = {}
        for target in SCRIPTS:
            script_file = CONTRACTS / target.split(":")[0]
            if not script_file.exists():
                print(f"skipping {target}: not present yet")
                continue
            figures.update(run_script(target, url))
    finally:
        anvil.terminate()
        anvil.wait(timeout=10)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(dict(sorted(figures.items())), indent=2) + "\n")
    budgets = json.loads(BUDGETS.read_text())
    over = []
    for name, gas in sorted(figures.items()):
        budget = budgets.get(name)
        verdict = "" if budget is None else ("ok" if gas <= budget else "OVER BUDGET")
        print(f"{name:40} {gas:>10}  {'' if budget is None else f'budget {budget:>8}  {verdict}'}")
        if budget is not None and gas > budget:
            over.append(name)
    missing = sorted(set(budgets) - set(figures))
    if missing:
        print("no figure for budgeted names: " + ", ".join(missing))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 1 if over or missing else 0


if __name__ == "__main__":
    sys.exit(main())
