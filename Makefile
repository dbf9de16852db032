# teamhub: the two commands a newcomer needs are `make run` and `make test`.
# Everything here is a thin wrapper; the real work is in scripts/.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.PHONY: help setup run test bench proto typecheck up down

help:
	@echo "make run        start the whole hub on this machine (installs what is missing first)"
	@echo "make test       run every test tier; ends with 'N passed, N failed'"
	@echo "make bench      run the benchmarks"
	@echo "make proto      regenerate lib/gen from proto/ (buf generate)"
	@echo "make typecheck  tsc --noEmit"
	@echo "make up / down  docker compose up -d / down (needs a Docker engine)"

setup:
	@bash scripts/setup.sh

run:
	@bash scripts/setup.sh
	@exec node --import tsx scripts/run-local.ts

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

COMPOSE = $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)

up:
	$(COMPOSE) up -d --build

down:
	$(COMPOSE) down
