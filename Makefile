# The two commands of the README:
#   make demo   set up .venv and crawl the bundled Arabic demo blog into ./demo-output
#   make test   set up .venv with the test extras, .venv-replay (pywb, py-wacz) and the Debian
#               packages the tests need, then run ruff, mypy and pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install install-test replay-env debian-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# pywb and py-wacz pin versions that clash with ours (redis 2.10, gevent): their own environment.
REPLAY_VENV ?= .venv-replay
$(REPLAY_VENV)/.installed:
	$(PYTHON) -m venv $(REPLAY_VENV)
	$(REPLAY_VENV)/bin/pip install --quiet 'pywb>=2.10,<2.11' 'wacz>=0.5,<0.7'
	touch $@

install: $(VENV)/.installed
replay-env: $(REPLAY_VENV)/.installed
install-test: $(VENV)/.installed-test $(REPLAY_VENV)/.installed debian-deps

# Debian packages the tests use: gzip (gzip -t on WARC files), chromium (renders Datasette pages).
DEBIAN_PACKAGES := gzip chromium
debian-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: install
	$(BIN)/arshif demo

test: install-test lint
	$(BIN)/pytest -q

# Static checks (part of `make test`, so of CI): ruff (pyflakes, pycodestyle, bugbear, import order), mypy.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check archive crawler tests benchmarks
	$(BIN)/mypy

bench: install-test
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }
	$(BIN)/python benchmarks/bench_crawl.py
	$(BIN)/python benchmarks/bench_dates.py

clean:
	rm -rf $(VENV) $(REPLAY_VENV) demo-output .pytest_cache
