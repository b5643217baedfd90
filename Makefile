# The two commands of the README:
#   make demo   set up .venv and crawl the bundled Arabic demo blog into ./demo-output
#   make test   set up .venv with the test extras, .venv-replay (pywb, py-wacz) and the Debian
#               packages the tests need, then run ruff, mypy and pytest
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint docs install install-test replay-env replay-web debian-deps site-tools bench clean

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
	$(REPLAY_VENV)/bin/pip install --quiet 'pywb>=2.10,<2.11' 'wacz>=0.5,<0.7' 'backports.zstd>=1.0,<2'
	touch $@

install: $(VENV)/.installed
replay-env: $(REPLAY_VENV)/.installed
install-test: $(VENV)/.installed-test $(REPLAY_VENV)/.installed debian-deps site-tools replay-web

# ReplayWeb.page's prebuilt viewer (index.html, ui.js, sw.js; AGPL-3.0) for `arshif replay --web` and
# tests/test_replayweb.py. `npm install replaywebpage` fails on the registry (a missing dependency
# version); the packed tarball's prebuilt files need none.
REPLAYWEB_VERSION := 2.5.3
REPLAYWEB_DIR := .replayweb/replaywebpage-$(REPLAYWEB_VERSION)
replay-web: $(REPLAYWEB_DIR)/.installed
$(REPLAYWEB_DIR)/.installed:
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm; }
	rm -rf $(REPLAYWEB_DIR) && mkdir -p $(REPLAYWEB_DIR)
	npm pack replaywebpage@$(REPLAYWEB_VERSION) --pack-destination .replayweb --silent
	tar -xzf .replayweb/replaywebpage-$(REPLAYWEB_VERSION).tgz -C $(REPLAYWEB_DIR) --strip-components=1 \
		package/index.html package/ui.js package/sw.js package/LICENSE
	rm .replayweb/replaywebpage-$(REPLAYWEB_VERSION).tgz
	touch $@

# Debian packages the tests use: gzip (gzip -t on WARC files), chromium (renders Datasette pages),
# redis-server (scale-out jobs shared by several workers; the tests start their own on a free port).
DEBIAN_PACKAGES := gzip chromium redis-server
debian-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Real blog software for tests/test_sites.py (sites generated from our own posts, served on 127.0.0.1):
# Jekyll with minima and jekyll-feed (Debian), Hexo with landscape (npm, into .sites/), Nikola,
# MkDocs Material and plain MkDocs with its default theme, the site that defeats the heuristics (PyPI,
# into .venv-sites: their pins must not touch .venv). Each is installed only when missing.
SITE_DEBIAN_PACKAGES := jekyll ruby-jekyll-feed jekyll-theme-minima
SITES_NPM := hexo@8 hexo-theme-landscape@1 hexo-generator-feed@3 hexo-renderer-ejs@2 hexo-renderer-stylus@3 \
	hexo-renderer-marked@7 hexo-generator-index@4 hexo-generator-archive@2 hexo-generator-category@2 \
	hexo-generator-tag@2
SITES_VENV ?= .venv-sites
SITES_PYPI := 'nikola>=8.3,<8.4' 'markdown>=3.4' 'ruamel.yaml>=0.17' 'pyyaml>=6' 'mkdocs>=1.6,<2' \
	'mkdocs-material>=9.6,<10' 'mkdocs-rss-plugin>=1.15,<2'

site-tools: $(SITES_VENV)/.installed .sites/.installed
	@missing=""; for p in $(SITE_DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(SITES_VENV)/.installed:
	$(PYTHON) -m venv $(SITES_VENV)
	$(SITES_VENV)/bin/pip install --quiet $(SITES_PYPI)
	touch $@

.sites/.installed:
	@command -v npm >/dev/null || { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm; }
	mkdir -p .sites
	npm install --prefix .sites --no-audit --no-fund --loglevel=error $(SITES_NPM)
	touch $@

demo: install
	$(BIN)/arshif demo

test: install-test lint
	$(BIN)/pytest -q

# Static checks (part of `make test`, so of CI): ruff (pyflakes, pycodestyle, bugbear, import order), mypy.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check archive crawler tests benchmarks
	$(BIN)/mypy

# The README's CLI reference, from every command's --help (cog runs the code between its markers).
docs: $(VENV)/.installed-test
	$(BIN)/cog -I . -r README.md

# The speed benchmark serves its generated blog with nginx and runs wget --warc-file as an outside reference.
# Every benchmark writes benchmarks/results/NAME.json; summary.py prints them as one table at the end (results
# older than this make are left out). Each benchmark's defaults are sized for 15 minutes in all on 2 cores;
# their docstrings give the flags of a bigger run.
BENCH_DEBIAN_PACKAGES := nginx-light wget
BENCH_STARTED := $(shell date +%s)
bench: install-test
	@missing=""; for p in $(BENCH_DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(BIN)/python benchmarks/bench_crawl.py
	$(BIN)/python benchmarks/bench_dates.py
	$(BIN)/python benchmarks/bench_extract.py
	$(BIN)/python benchmarks/bench_politeness.py
	$(BIN)/python benchmarks/bench_merge.py
	$(BIN)/python benchmarks/bench_calibrate.py
	$(BIN)/python benchmarks/bench_jobs.py
	$(BIN)/python benchmarks/summary.py --since $(BENCH_STARTED)

clean:
	rm -rf $(VENV) $(REPLAY_VENV) $(SITES_VENV) .sites .replayweb demo-output .pytest_cache
