# The two commands a newcomer needs: `make demo` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help demo test venv pdf-libs test-tools lint types checks messages pytest bench-% clean

help:
	@echo "make demo   - install, migrate, load the Rhein-Kreis Neuss demo and run it on 127.0.0.1:$(PORT)"
	@echo "make test   - install test tools, then lint, types, checks and every test"
	@echo "make bench-NAME - run bench/NAME.py"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Pinned dependencies from the committed lock file; re-synced whenever it changes.
$(VENV)/.synced: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip --upgrade >/dev/null
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	touch $@

venv: $(VENV)/.synced pdf-libs

# WeasyPrint (the checklist PDF) needs Pango and a system font; Debian's packages, installed when missing.
pdf-libs:
	@ldconfig -p | grep -q libpangoft2-1.0.so.0 && test -d /usr/share/fonts/truetype/dejavu || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)

# Translations are compiled from the committed .po files (GNU gettext's msgfmt).
messages: venv
	@command -v msgfmt >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext)
	@cd src/buergerbuero && SECRET_KEY=compilemessages ../../$(BIN)/python ../../manage.py compilemessages -v0

demo: venv messages
	@mkdir -p var
	DEBUG=true SECRET_KEY=$${SECRET_KEY:-demo-only-secret-key} $(BIN)/python manage.py run_demo --port $(PORT)

# Browser tests need Debian's Chromium; axe-core comes from npm (package-lock.json is committed).
test-tools: venv
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	@test -f node_modules/axe-core/axe.min.js || npm ci --silent --no-audit --no-fund

lint: venv
	$(BIN)/ruff check src tests bench conftest.py manage.py
	$(BIN)/ruff format --check src tests bench conftest.py manage.py

types: venv
	SECRET_KEY=mypy $(BIN)/mypy src/buergerbuero

checks: venv
	SECRET_KEY=checks $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=false HTTPS=true SECURE_HSTS_PRELOAD=true ALLOWED_HOSTS=buergerbuero.example.org \
	  SECRET_KEY=$$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
	  WEBPUSH_VAPID_PRIVATE_KEY=$$(SECRET_KEY=x $(BIN)/python manage.py vapid_keys | head -1 | cut -d= -f2) \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

pytest: venv messages test-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint types checks pytest

bench-%: venv messages
	$(BIN)/python bench/$*.py

clean:
	rm -rf $(VENV) var node_modules
