# Chanli — two commands matter: `make demo` and `make test`. Everything else is a step of theirs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
VENDOR := src/chanli/web/static/vendor
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?= -n 2

.PHONY: demo test install dev assets lint browser i18n-extract clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.stamp-install: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-install
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.stamp-install assets

dev: $(VENV)/.stamp-dev assets

# Front-end assets come from the npm registry at setup (lockfile), never from a CDN at run time.
assets: $(VENDOR)/.stamp

$(VENDOR)/.stamp: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp frontend/node_modules/echarts/dist/echarts.min.js frontend/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	touch $@

demo: install
	$(BIN)/chanli demo --reset --host $(HOST) --port $(PORT)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check src tests
	$(BIN)/lint-imports

test: dev lint browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium (never a downloaded browser). Installed here when
# missing and we may (root + apt); otherwise those tests skip with a reason (fail under CI=true).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and CJK fonts (apt)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "note: /usr/bin/chromium or CJK fonts missing and cannot install them here; browser tests will skip"; fi; \
	fi

# Developers: refresh the message catalogs after changing UI strings.
i18n-extract: $(VENV)/.stamp-dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o src/chanli/web/locale/messages.pot src/chanli
	$(BIN)/pybabel update -i src/chanli/web/locale/messages.pot -d src/chanli/web/locale --no-fuzzy-matching

clean:
	rm -rf $(VENV) frontend/node_modules $(VENDOR) .pytest_cache .ruff_cache
