# The two commands a newcomer needs: `make` and `make test`. Both start from a fresh clone
# with nothing but python3, node/npm and make installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed

.DEFAULT_GOAL := all
.PHONY: all setup generate check build demo publish bench test lint typecheck spectral pytest lock clean docs

all: build demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

$(NODE_INSTALLED): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(INSTALLED) $(NODE_INSTALLED)

check: $(INSTALLED)
	$(BIN)/python -m generator check

generate: $(INSTALLED)
	$(BIN)/python -m generator generate

build: generate
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .

# The quick start against the local sandbox, with access tokens that live 2 s so a renewal shows.
demo: $(INSTALLED)
	$(BIN)/python -m tests.sandbox --access-lifetime 2 --run $(BIN)/python examples/quickstart.py

# The reference site (mkdocs-material + mkdocstrings), written to site/. Strict: a broken reference
# fails it (the test suite builds it the same way, tests/docs/).
docs: $(INSTALLED)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Figures against their baselines (a few minutes); writes benchmarks/results.json.
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.run

lint: $(INSTALLED)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

spectral: $(NODE_INSTALLED)
	node_modules/.bin/spectral lint spec/openapi.yaml --ruleset .spectral.yaml --fail-severity warn

pytest: $(INSTALLED)
	$(BIN)/python -m pytest

test: setup lint typecheck spectral pytest

# Publish the package as generated from the spec: make publish INDEX=https://your-index/
# Credentials: TWINE_USERNAME and TWINE_PASSWORD in the environment, or your keyring.
publish: $(INSTALLED)
	@test -n "$(INDEX)" || { echo "usage: make publish INDEX=<upload URL of your index>"; exit 2; }
	$(BIN)/python -m generator publish --index-url "$(INDEX)"

# Refresh the exact versions of the development environment after changing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions of the development environment, installed by \`make\` with pip -c. Refresh: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > constraints.txt

clean:
	rm -rf $(VENV) node_modules dist site .mypy_cache .ruff_cache .pytest_cache
