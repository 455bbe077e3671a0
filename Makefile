# Frontline: every verb CI runs, runnable by hand. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV := UV_PYTHON_DOWNLOADS=never .tools/bin/uv
VENV := .venv/bin
PYTEST_PARALLEL := -n auto
PG_URL := postgres://postgres@127.0.0.1:5432/frontline
REDIS := redis://127.0.0.1:6379/0
# Lint-time commands need settings but no real database.
LINT_ENV := DATABASE_URL=sqlite://:memory:
# A production environment for `check --deploy`; the key is random on every run.
DEPLOY_ENV := $(LINT_ENV) DEBUG=false ALLOWED_HOSTS=frontline.example.com \
	EMAIL_URL='smtp://mail.frontline.example.com:587?tls=1' \
	SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_hex(32))')

.PHONY: help bootstrap demo test test-pg lint format

help: ## List the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.tools/bin/uv:
	python3 -m venv .tools && .tools/bin/pip install --quiet uv==0.13.8

bootstrap: .tools/bin/uv ## Install the pinned tool chain and dependencies (.venv) from uv.lock
	$(UV) sync --frozen

demo: bootstrap ## Run the demo on http://127.0.0.1:8000 (migrates and loads demo data on first run)
	$(VENV)/frontline demo

test: bootstrap ## Run the test suite (SQLite, no Redis)
	$(VENV)/pytest $(PYTEST_PARALLEL)

test-pg: bootstrap ## Run the test suite on PostgreSQL and Redis at 127.0.0.1
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS) $(VENV)/pytest $(PYTEST_PARALLEL)

lint: bootstrap ## Ruff, formatting, mypy, import contracts, migrations, Django checks, OpenAPI snapshot
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy src
	$(VENV)/lint-imports
	$(LINT_ENV) $(VENV)/frontline makemigrations --check --dry-run
	$(LINT_ENV) $(VENV)/frontline check
	$(DEPLOY_ENV) $(VENV)/frontline check --deploy --fail-level WARNING
	@if [ -f tests/test_openapi_snapshot.py ]; then $(VENV)/pytest -q -p no:xdist tests/test_openapi_snapshot.py; fi

format: bootstrap ## Fix what ruff can fix and format the code
	$(VENV)/ruff check --fix .
	$(VENV)/ruff format .
