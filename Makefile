# The two commands of the README:
#   make demo   set up .venv and crawl the bundled Arabic demo blog into ./demo-output
#   make test   set up .venv with the test extras (and Debian packages the tests need), run pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test debian-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test debian-deps

# Debian packages the tests use: gzip (gzip -t on WARC files).
DEBIAN_PACKAGES := gzip
debian-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

demo: install
	$(BIN)/arshif demo

test: install-test
	$(BIN)/pytest -q

bench: install-test
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }
	$(BIN)/python benchmarks/bench_crawl.py
	$(BIN)/python benchmarks/bench_dates.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
