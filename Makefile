# One command to run the app with demo data, one to run the tests. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make run     install what is missing, start PostGIS/Redis, load demo data, serve :8000 with the"
	@echo "             production settings (gunicorn, Celery worker + beat, outbox relay, supervised)"
	@echo "make dev     the same with the development settings and the autoreloading runserver"
	@echo "make test    the same bootstrap, then the whole test suite (real PostGIS, Redis, Celery, Chromium)"
	@echo "make lint    ruff check + format check       make format   ruff format + fix"
	@echo "make bench   benchmarks (bench/), figures as ratios to a same-run baseline"
	@echo "make stop    stop what run/dev started, then the private PostgreSQL/Redis"
	@echo "make backup  database dump + photos/scans + SHA-256 manifest in one file (var/backups/)"
	@echo "make restore FILE=...  into a fresh database and media folder, then verify_ledger"

run:
	scripts/run.sh

dev:
	scripts/run.sh --dev

test:
	scripts/test.sh $(ARGS)

lint:
	scripts/bootstrap.sh --dev
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

bench:
	scripts/bench.sh $(ARGS)

backup:
	scripts/backup.sh

restore:
	scripts/restore.sh $(FILE)

stop:
	-scripts/run.sh --stop
	scripts/services.sh stop

.PHONY: help run dev test lint format bench backup restore stop
