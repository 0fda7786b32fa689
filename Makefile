# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test lint format check-services clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.dev-installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[dev]"
	touch $@

$(VENV)/.demo-installed: pyproject.toml | $(PY)
	$(PIP) install --quiet -e ".[drf,demo]"
	touch $@

## make demo: install, migrate, create a demo superuser, run site + worker (+ fake Gemini).
demo: $(VENV)/.demo-installed
	VENV=$(VENV) bash scripts/demo.sh

## make test: install the dev extra and run the whole suite (SQLite, then PostgreSQL).
test: $(VENV)/.dev-installed
	VENV=$(VENV) bash scripts/test.sh

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check django_nanobanana tests

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format django_nanobanana tests
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache example_project/db.sqlite3* example_project/media
