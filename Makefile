# Two commands matter: `make run` and `make test`. Both work on a fresh Debian machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test install install-test cluster lint i18n bench-queue bench-chat bench-kiosk bench-remote bench-churn bench-email bench-cluster clean

$(STAMP): pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null; }
	npm ci --ignore-scripts --no-audit --no-fund --silent
	touch $@

install: $(STAMP)

# Runs the app on SQLite in data/ (migrations are applied on start) at http://127.0.0.1:8080
run: install
	$(BIN)/python main.py

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[test]"
	@for program in chromium Xvnc xev xsetroot dovecot redis-server nginx; do command -v $$program >/dev/null || missing=1; done; \
	[ -x /usr/lib/dovecot/imap ] || missing=1; \
	[ -z "$$missing" ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium tigervnc-standalone-server x11-utils x11-xserver-utils \
		dovecot-imapd redis-server nginx >/dev/null; }
	touch $@

install-test: $(TEST_STAMP)

# Installs everything the tests need (Python packages, Debian's chromium, tigervnc, dovecot,
# redis-server, nginx and postgresql; aiosmtpd from PyPI is the SMTP server) and runs the whole
# suite on SQLite, then the database-bound layers and the cluster tests on a local PostgreSQL.
test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -q
	HELPDESK_TEST_POSTGRES=$$(bash scripts/postgres-test-server.sh) $(BIN)/python -m pytest -q tests/helpdesk tests/cluster \
		--deselect tests/helpdesk/api/test_schemathesis.py

# The helpdesk as a cluster on this machine: 3 app processes (each with its API), nginx with
# sticky sessions at http://127.0.0.1:8080, Redis and PostgreSQL on loopback; demo data.
cluster: install-test
	$(BIN)/python -m helpdesk.runtime.devcluster --seed-demo

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# Refresh the catalogue after changing user-facing text, then translate the new French entries.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k _ -k N_ -k _pt:2c,3 -k _nt:2,3 --no-location --sort-output --omit-header -o helpdesk/core/locales/messages.pot .
	$(BIN)/pybabel update -i helpdesk/core/locales/messages.pot -d helpdesk/core/locales -D messages --no-fuzzy-matching --ignore-obsolete

bench-queue: install
	$(BIN)/python -m bench.queue

bench-chat: install-test
	$(BIN)/python -m bench.chat

bench-kiosk: install-test
	$(BIN)/python -m bench.kiosk

bench-remote: install-test
	$(BIN)/python -m bench.remote

bench-churn: install-test
	$(BIN)/python -m bench.churn

bench-email: install-test
	$(BIN)/python -m bench.email

bench-cluster: install-test
	$(BIN)/python -m bench.cluster

clean:
	rm -rf $(VENV) node_modules test-artifacts
