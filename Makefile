# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip

.PHONY: demo test lint format messages docs docs-build nox-oldest check-services clean

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

## make lint: what the suite's first step checks (ruff check, ruff format --check).
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## make messages: refresh the German and French catalogues from the code and templates
## (new strings appear untranslated, removed ones are dropped), then compile the .mo files.
## Translate what it lists as untranslated in django_nanobanana/locale/*/LC_MESSAGES/django.po,
## then run it again. tests/test_translations.py fails while any string is missing.
MANAGE_PKG := cd django_nanobanana && DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=.. \
	$(abspath $(VENV))/bin/django-admin
messages: $(VENV)/.dev-installed
	$(MANAGE_PKG) makemessages -l de -l fr --no-obsolete --add-location file
	$(MANAGE_PKG) compilemessages
	@for po in django_nanobanana/locale/*/LC_MESSAGES/django.po; do \
	  printf '%s: ' "$$po"; msgfmt --statistics -o /dev/null "$$po"; \
	  msgattrib --untranslated --no-wrap "$$po" | grep '^msgid ' | tail -n +2 | sed 's/^/    untranslated: /'; \
	done

## make docs: serve the documentation site at http://127.0.0.1:8001/ (rebuilds on change).
docs: $(VENV)/.dev-installed
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8001

## make docs-build: build the site into site/ the way the test suite does (--strict).
docs-build: $(VENV)/.dev-installed
	$(VENV)/bin/mkdocs build --strict

## make nox-oldest: the suite against the oldest dependency versions pyproject.toml allows.
nox-oldest: $(VENV)/.dev-installed
	$(VENV)/bin/nox -s oldest

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .nox site build dist example_project/db.sqlite3* example_project/media
