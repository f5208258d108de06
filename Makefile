# Tsunagu. `make run` and `make test` install what is missing (Debian packages, .venv) first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-slow test-unit test-integration bench lint translations screenshots install install-test clean

install:
	@deploy/local/bootstrap.sh run

install-test:
	@deploy/local/bootstrap.sh test

run: install
	@$(VENV)/bin/tsunagu run

# everything but the tests marked slow (a broker cluster losing a node, the API fuzzing, …): under 15 minutes
test: install-test
	@$(PY) -m pytest -q -p no:cacheprovider tests -m "not slow"

# the slow ones; CI runs both
test-slow: install-test
	@$(PY) -m pytest -q -p no:cacheprovider tests -m slow

test-unit: install-test
	@$(PY) -m pytest -q -p no:cacheprovider tests -m "not integration"

test-integration: install-test
	@$(PY) -m pytest -q -p no:cacheprovider tests -m integration

bench:
	@deploy/local/bootstrap.sh bench
	@$(PY) -m bench

# ruff (style, pyflakes, bugbear, import order…) on everything; mypy on the code that ships
lint: install-test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy

# the pages' strings from code and templates into locale/messages.pot, merged into each catalogue
translations: install-test
	@$(PY) -m tsunagu.translations

# the pages for people at 375 px and 1280 px, with the demo data, into docs/screenshots/
screenshots: install-test
	@$(PY) -m tests.integration.screenshots

clean:
	rm -rf var .pytest_cache
