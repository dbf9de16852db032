# teamhub: the two commands a newcomer needs are `make run` and `make test`.
# Everything here is a thin wrapper; the real work is in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup build run test bench proto typecheck up down

help:
	@echo "make run        start the whole hub on this machine (installs what is missing first)"
	@echo "make test       run every test tier; ends with 'N passed, N failed'"
	@echo "make bench      run the benchmarks"
	@echo "make build      compile the hub into dist/ (make run does it when a source changed)"
	@echo "make proto      regenerate lib/gen from proto/ (buf generate)"
	@echo "make typecheck  tsc --noEmit"
	@echo "make up / down  docker compose up -d --build / down, on Docker or podman"

setup:
	@bash scripts/setup.sh

build:
	@node scripts/build.mjs

# The hub runs as compiled JavaScript (dist/), rebuilt first when a source is newer.
run:
	@bash scripts/setup.sh
	@node scripts/build.mjs
	@exec node dist/scripts/run-local.js

test:
	@bash scripts/setup.sh --test
	@node scripts/run-tests.mjs $(TIERS)

bench:
	@bash scripts/setup.sh
	@if [ -f bench/run.ts ]; then node --import tsx bench/run.ts; else echo "no benchmarks yet (bench/run.ts)"; fi

proto:
	@npx buf generate && npx buf lint

typecheck:
	@npx tsc -p . --noEmit

# Docker or podman, whichever this machine has (scripts/containers/compose.sh says which it used).
up:
	@bash scripts/containers/compose.sh up

down:
	@bash scripts/containers/compose.sh down
