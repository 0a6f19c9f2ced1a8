# StorePulse: `make demo` runs the whole system, `make test` runs every check.
VENV ?= .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: setup demo demo-check test lint unit bench clean

$(VENV)/.installed: pyproject.toml deploy/dev/setup.sh
	bash deploy/dev/setup.sh $(VENV)
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/storepulse demo

demo-check: setup
	$(VENV)/bin/storepulse demo --check

lint: setup
	$(VENV)/bin/ruff check wire edge hub storepulse tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

unit: setup
	bash deploy/dev/services.sh
	$(VENV)/bin/pytest -q

test: lint unit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
