# The front door: `make run` and `make test` each set everything up from a fresh clone first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORTAL := $(BIN)/portal
STAMP := $(VENV)/.installed
VENDOR := internal/web/static/vendor
TRANSLATIONS := internal/web/translations

.PHONY: setup run test lint bench load screenshots translations-extract clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Bootstrap, Chart.js and Swagger UI (the API reference) come from npm packages and are served by the apps themselves.
$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)/bootstrap $(VENDOR)/chartjs
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js $(VENDOR)/bootstrap/
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chartjs/
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js $(VENDOR)/swagger-ui/
	touch $@

# Catalogues (.po) are committed; the compiled .mo files are built here.
translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(TRANSLATIONS) -D messages --statistics 2>&1 | grep -v '^$$' || true
	@test -f $(TRANSLATIONS)/zh_Hans_CN/LC_MESSAGES/messages.mo

setup: $(STAMP) $(VENDOR)/.copied translations

run: setup
	$(PORTAL) db upgrade
	$(PORTAL) demo load --scale small --if-empty
	$(PORTAL) serve

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python -m tests.bench

# A bounded load test: the demo under gunicorn (4 workers) on loopback, 16 partners for LOAD_SECONDS.
# DATABASE_URL chooses the database, as for `make run`. Exits non-zero on any server error.
LOAD_SECONDS ?= 30
LOAD_PORT ?= 5100
load: setup
	$(PORTAL) db upgrade
	$(PORTAL) demo load --scale small --if-empty >/dev/null
	@set -e; \
	$(PORTAL) serve --workers 4 --extranet-port $(LOAD_PORT) --console-port $$(($(LOAD_PORT)+1)) >/tmp/portal-load-serve.log 2>&1 & \
	server=$$!; trap 'kill $$server 2>/dev/null; wait $$server 2>/dev/null || true' EXIT; \
	for _ in $$(seq 60); do curl -fs 127.0.0.1:$(LOAD_PORT)/healthz >/dev/null && break; sleep 1; done; \
	$(PORTAL) loadtest --host http://127.0.0.1:$(LOAD_PORT) --users 16 --seconds $(LOAD_SECONDS)

# PNGs of the main pages of both apps at 1280 and 390 px, in English and Chinese, from a fresh small
# demo served on loopback (build/ is not committed).
SCREENSHOTS ?= build/screenshots
screenshots: setup
	$(BIN)/python -m tests.browser.screenshots --out $(SCREENSHOTS)

translations-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -l zh_Hans_CN --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules $(VENDOR) instance
