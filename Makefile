# One task runner for people and CI. PYTHON picks the interpreter that creates the venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint typecheck format eval bench clean

$(BIN)/modelpilot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,orchestrator]'
	touch $(BIN)/modelpilot

install: $(BIN)/modelpilot

demo: install
	$(BIN)/modelpilot demo

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy assistant tools knowledge ui evals

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

eval: install
	$(BIN)/modelpilot eval --planner rules

bench: install
	$(BIN)/python -m evals.bench --scale 0.1

clean:
	rm -rf $(VENV) .modelpilot .pytest_cache .mypy_cache .ruff_cache
