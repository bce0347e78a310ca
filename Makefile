# nxtp: every entry point a developer or CI needs. Each target installs what it needs first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_BIN := $(CURDIR)/node_modules/.bin
FORGE := $(NODE_BIN)/forge
NPM_STAMP := node_modules/.nxtp-installed

.PHONY: help setup nextest postgres-test test test-contracts test-rust lint fmt bench-gas bench-messaging bench-e2e bench-load bench-consensus bench-rpc vectors clean \
	fuzz fuzz-seeds fuzz-merge cargo-fuzz test-deep slither-venv slither-triage

help:
	@echo "make devnet     local chains with every contract deployed and the agents supervised (Ctrl-C stops)"
	@echo "make test       run every test (installs the pinned toolchain first)"
	@echo "make bench-gas  measure transaction gas on a local anvil -> bench/results/gas.json"
	@echo "make bench-messaging  1,000 messages through the devnet's agents -> bench/results/messaging.json"
	@echo "make bench-e2e  500 transfers through the devnet's liquidity agents -> bench/results/e2e.json"
	@echo "make bench-load transfers offered at 50/s for 60 s (release agents), then the highest rate the fast path holds -> e2e.json"
	@echo "make bench-consensus  one sequencer vs four consensus nodes at 10 transfers/s for 30 s each, then four nodes at saturation -> bench/results/consensus.json"
	@echo "make bench-rpc  JSON-RPC requests the agents send each chain, idle and under load -> bench/results/rpc.json"
	@echo "make bench-indexer  the indexer's ingest rate, lookups with 1M transfers, webhook latency (SQLite, PostgreSQL), lag on anvil -> bench/results/indexer.json"
	@echo "make bench-indexer-lag  only the indexer's lag on anvil (xcall's block final -> served) -> bench/results/indexer.json lag_on_anvil"
	@echo "make vectors    regenerate contracts/test/vectors/*.json from the contracts"
	@echo "make test-ts    the TypeScript SDK (web/sdk) and web app (web/app): lint, types, unit tests, end-to-end tests on a devnet (the app's in headless Chromium)"
	@echo "make bench-sdk-size  the SDK's gzipped size in an xcall + waitForTransfer app -> bench/results/sdk-ts.json"
	@echo "make bench-web  the web app's first-load size and, on a devnet, send click -> XCalled / CompletedFast -> bench/results/sdk-ts.json"
	@echo "make lint       formatting and lint checks (forge fmt, cargo fmt, clippy, Slither against contracts/slither-triage.json)"
	@echo "make slither-triage  Slither findings not yet triaged, as entries to fix or triage (docs/slither.md)"
	@echo "make fuzz       fuzz every decoder of untrusted input (consensus messages and batches too), FUZZ_SECONDS (60) each -> bench/results/fuzz.json"
	@echo "make test-deep  every invariant suite at 100,000 handler calls per invariant -> bench/results/invariants.json"

# Pinned forge, anvil and solc-js from package-lock.json; reinstalled when the lockfile changes.
# `npm install` rather than `npm ci`: the Foundry packages list optional per-platform binaries that are not
# all published, which `npm ci` refuses as a lockfile mismatch; the versions installed are the locked ones.
setup: $(NPM_STAMP)
$(NPM_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

test: lint test-contracts test-rust test-ts

# The TypeScript SDK (web/sdk, docs in web/sdk/README.md) and the web app on it (web/app, web/app/README.md): their
# pinned dependencies from web/package-lock.json, the contracts' artifacts the ABIs are generated from, the nxtp
# binary the end-to-end tests start a devnet with, and Debian's chromium the app's browser tests drive.
WEB_STAMP := web/node_modules/.nxtp-installed
.PHONY: web-setup chromium test-ts bench-sdk-size bench-web
web-setup: $(WEB_STAMP)
$(WEB_STAMP): web/package.json web/package-lock.json web/sdk/package.json web/app/package.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Installed with apt-get on a machine that lacks it, as postgres-test installs PostgreSQL.
chromium:
	@sh web/app/scripts/chromium.sh install

test-ts: setup web-setup chromium
	cd contracts && $(FORGE) build src
	cargo build --locked -p nxtp
	cd web/sdk && npm run lint && npm run typecheck && npm run build && npm run smoke:node && npm test
	cd web/app && npm run lint && npm run build && npm test && npm run test:e2e

bench-sdk-size: setup web-setup
	cd contracts && $(FORGE) build src
	cd web/sdk && npm run bundle-size

# The fast transfer of the app's browser tests on a devnet of the release binary; its times and the app's
# first-load size are merged into bench/results/sdk-ts.json (web/app/scripts/first-load-size.mjs).
bench-web: setup web-setup chromium
	cd contracts && $(FORGE) build src
	cargo build --release --locked -p nxtp
	cd web/sdk && npm run build
	cd web/app && npm run build && NXTP_BIN=$(CURDIR)/target/release/nxtp npx vitest run --project e2e test/e2e/transfers.test.ts -t "fast transfer" && npm run size

test-contracts: setup
	cd contracts && $(FORGE) test

# nextest runs each test in its own process (our end-to-end tests spawn chains and agents) and closes with
# one summary line for the whole workspace; doc examples run first with cargo's own runner.
test-rust: setup nextest postgres-test
	cargo test --workspace --locked --doc
	cargo nextest run --workspace --locked --no-tests=warn

# The indexer's PostgreSQL tests start throwaway servers (tools/postgres-test.sh); install Debian's
# postgresql once here, on a machine that lacks it, rather than from the tests themselves.
postgres-test:
	@sh tools/postgres-test.sh install

# The test runner, installed from crates.io on a machine that lacks it.
nextest:
	@cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --version 0.9.143 --locked

lint: setup slither-venv
	cd contracts && $(FORGE) fmt --check
	@if [ -f Cargo.toml ]; then cargo fmt --all --check && cargo fmt --manifest-path fuzz/Cargo.toml --all --check && cargo clippy --workspace --all-targets --locked -- -D warnings; fi
	python3 tools/slither_check.py

# Slither, pinned with its dependencies, in a venv of its own (git-ignored); reinstalled when the pins change.
SLITHER_VENV := .venv-slither
slither-venv: $(SLITHER_VENV)/.installed
$(SLITHER_VENV)/.installed: tools/slither-requirements.txt
	python3 -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/slither-requirements.txt
	touch $@

# Slither findings not in contracts/slither-triage.json, printed as entries to fix or triage (docs/slither.md).
slither-triage: setup slither-venv
	python3 tools/slither_check.py list

fmt: setup
	cd contracts && $(FORGE) fmt
	@if [ -f Cargo.toml ]; then cargo fmt --all; fi

# Local chains, every contract deployed and wired, the agents supervised; Ctrl-C stops it all.
# A debug build: on a small machine a release build of the alloy stack takes many minutes longer, and
# the devnet's work is done by anvil, not by this binary. Options: make devnet DEVNET_ARGS="--chains 2".
.PHONY: devnet
DEVNET_ARGS ?=
devnet: setup
	cargo run --locked -p nxtp -- devnet $(DEVNET_ARGS)

bench-gas: setup
	python3 bench/gas.py

# 1,000 messages through a devnet with every messaging agent (release) -> bench/results/messaging.json.
bench-messaging: setup
	cargo build --release --locked -p nxtp -p nxtp-bench
	target/release/nxtp-bench messaging --agent-program target/release/nxtp $(BENCH_ARGS)

# 500 transfers from several senders through a devnet with both layers (release) -> bench/results/e2e.json.
bench-e2e: setup
	cargo build --release --locked -p nxtp -p nxtp-bench
	target/release/nxtp-bench e2e --agent-program target/release/nxtp $(BENCH_ARGS)

# The fast path under load: transfers offered at a fixed rate for 60 s through a devnet whose agents run a release
# build, then a search for the highest rate at which the fast path holds -> the load sections of
# bench/results/e2e.json (the default run's figures are kept). BENCH_LOAD_ARGS="--rate 30" runs one rate only.
BENCH_LOAD_ARGS ?= --rate 50 --duration 60 --search
bench-load: setup
	cargo build --release --locked -p nxtp -p nxtp-bench
	target/release/nxtp-bench e2e --agent-program target/release/nxtp $(BENCH_LOAD_ARGS)

# Issue #15's figures (release agents): the same offered load through a devnet with one sequencer, then one with
# four consensus nodes (latency in destination blocks, each node's CPU and peak RSS), then four nxtp-consensus
# nodes on loopback at saturation (auctions decided per second) -> bench/results/consensus.json.
# BENCH_CONSENSUS_ARGS="--duration 10 --saturation-seconds 20" is a short run.
BENCH_CONSENSUS_ARGS ?=
bench-consensus: setup
	cargo build --release --locked -p nxtp -p nxtp-bench
	target/release/nxtp-bench consensus --agent-program target/release/nxtp $(BENCH_CONSENSUS_ARGS)

# The indexer's figures (release): ingest rate through the store's write path, GET /transfers/{id}
# and filtered lists with 1,000,000 transfers stored, RSS, ingest-to-served and webhook delivery
# latency, over SQLite and a throwaway PostgreSQL, then the lag on anvil (an xcall's block final to
# its transfer served) -> bench/results/indexer.json. bench-indexer-lag runs the lag stage alone
# (LAG_ARGS="--xcalls N --poll-ms MS"), merged under lag_on_anvil.
.PHONY: bench-indexer bench-indexer-lag
bench-indexer: setup
	cargo build --release --locked -p nxtp-indexer --bin nxtp-indexer-bench --example nxtp-indexer-lag-bench
	target/release/nxtp-indexer-bench $(BENCH_ARGS)
	target/release/examples/nxtp-indexer-lag-bench $(LAG_ARGS)

bench-indexer-lag: setup
	cargo build --release --locked -p nxtp-indexer --example nxtp-indexer-lag-bench
	target/release/examples/nxtp-indexer-lag-bench $(LAG_ARGS)

# JSON-RPC requests per second each agent sends each chain (counted at a loopback proxy per agent and
# chain), idle and under 20 transfers, by method -> bench/results/rpc.json (merged under --label; add
# BENCH_ARGS="--transport ws --label subscriptions" for WebSocket). A release build, as agents are run.
bench-rpc: setup
	cargo build --release --locked -p nxtp -p nxtp-bench
	target/release/nxtp-bench rpc --agent-program target/release/nxtp $(BENCH_ARGS)

# Coverage-guided fuzzing (fuzz/, its own workspace; see fuzz/README.md): builds every target, runs each for
# FUZZ_SECONDS from its committed corpus, writes bench/results/fuzz.json and fails on any crash.
# FUZZ_TARGETS picks some: make fuzz FUZZ_TARGETS="message api" FUZZ_SECONDS=300.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: setup cargo-fuzz
	python3 bench/fuzz.py --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Rewrites the seed inputs (fuzz/corpus/*/seed-*) from the shared vectors, API types and config fixtures.
fuzz-seeds: setup
	cargo run --manifest-path fuzz/Cargo.toml --example seeds

# Adds to the committed corpus only the inputs of the last runs (fuzz/work/) that reach new coverage.
fuzz-merge: cargo-fuzz
	@for t in $$(ls fuzz/work | grep -v '\.log$$'); do \
	  fuzz/target/x86_64-unknown-linux-gnu/release/$$t -merge=1 fuzz/corpus/$$t fuzz/work/$$t 2>&1 | tail -1; done

cargo-fuzz:
	@cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --version 0.13.2 --locked

# Every Foundry invariant suite at INVARIANT_RUNS x INVARIANT_DEPTH handler calls per invariant (default
# 500 x 200 = 100,000) -> bench/results/invariants.json; fails on any violation. `make test` keeps the quick
# [invariant] settings of foundry.toml.
INVARIANT_RUNS ?= 500
INVARIANT_DEPTH ?= 200
test-deep: setup
	FOUNDRY_INVARIANT_RUNS=$(INVARIANT_RUNS) FOUNDRY_INVARIANT_DEPTH=$(INVARIANT_DEPTH) python3 bench/invariants.py

vectors: setup
	cd contracts && UPDATE_VECTORS=true $(FORGE) test --match-contract Vectors

clean:
	rm -rf contracts/out contracts/cache contracts/broadcast target run fuzz/target fuzz/work
