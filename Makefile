# The two commands a newcomer needs: `make` and `make test`. Both start from a fresh clone
# with nothing but python3, node/npm and make installed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# uv installs the development environment from uv.lock. It is itself installed from the package
# index at this exact version, into a virtual environment of its own (uv sync would remove it
# from .venv, which holds exactly what the lock says).
UV_VERSION := 0.13.9
UV_HOME := .venv-uv
UV := $(UV_HOME)/bin/uv
# uv reads neither pip's configuration nor PIP_* variables: it installs what uv.lock names, from
# where uv.lock says (PyPI). It uses the Python it is given and never downloads one.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
NODE_INSTALLED := node_modules/.installed

.DEFAULT_GOAL := all
.PHONY: all setup generate check build demo publish release bench test lint typecheck spectral pytest lock clean docs

all: build demo

# A venv without pip of its own (ensurepip costs seconds) that the Python's pip installs into;
# where that Python has no pip (or one older than 22.3), the venv gets its own.
$(UV):
	$(PYTHON) -m venv --clear --without-pip $(UV_HOME)
	$(PYTHON) -m pip --python $(UV_HOME)/bin/python install --disable-pip-version-check 'uv==$(UV_VERSION)' \
	  || { $(UV_HOME)/bin/python -m ensurepip --default-pip \
	       && $(UV_HOME)/bin/python -m pip install --disable-pip-version-check 'uv==$(UV_VERSION)'; }

# --locked: refuses a uv.lock that no longer matches pyproject.toml (run `make lock`).
# The project itself is installed editable; the dev group is installed by default.
$(INSTALLED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON) \
	  || { echo "uv.lock does not match pyproject.toml? Then run: make lock (and commit uv.lock)" >&2; exit 1; }
	touch $@

$(BIN)/python: $(INSTALLED)

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

# After an edit of the dependencies in pyproject.toml: resolve again, upgrading every package to
# the newest version its range allows, write uv.lock and install it. Commit uv.lock.
lock: | $(UV)
	$(UV) lock --upgrade
	$(UV) sync --locked --all-extras --python $(PYTHON)
	touch $(INSTALLED)

# Close "Unreleased" in CHANGELOG.md as the spec's version, commit, and tag v<version>.
release: $(INSTALLED)
	$(BIN)/python -m generator release

clean:
	rm -rf $(VENV) $(UV_HOME) node_modules dist site .mypy_cache .ruff_cache .pytest_cache
