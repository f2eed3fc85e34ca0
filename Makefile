# The two commands in the README: `make run` and `make test`. Everything else is what they need.
VENV ?= .venv
PYTHON ?= python3
FLASK := $(VENV)/bin/flask --app pwa
HOST ?= 127.0.0.1
PORT ?= 5000
VENDOR := pwa/static/vendor

.PHONY: run test setup vendor lint format clean static serve no-stale-static

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Third-party front-end files come from npm and are copied, never committed.
$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/nhsuk $(VENDOR)/idb
	cp node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.css \
	   node_modules/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js $(VENDOR)/nhsuk/
	cp -r node_modules/nhsuk-frontend/dist/nhsuk/assets $(VENDOR)/nhsuk/
	cp node_modules/idb/build/index.js $(VENDOR)/idb/
	touch $@

vendor: $(VENDOR)/.copied

setup: $(VENV)/.installed vendor

run: setup no-stale-static
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	@echo "Open http://$(HOST):$(PORT) in a browser."
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: setup lint no-stale-static
	$(VENV)/bin/pytest $(PYTEST_ARGS)

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .ruff_cache

# For running it for real: Brotli and gzip copies of every static file, which WhiteNoise serves
# to browsers that accept them (pwa/static_files.py), then gunicorn (gunicorn.conf.py).
static: setup no-stale-static
	$(VENV)/bin/python -m whitenoise.compress pwa/static

# WhiteNoise serves a file's compressed copy whenever one lies beside it: one made before the
# file was edited would be served in its place. Running and testing go without them.
no-stale-static:
	find pwa/static \( -name '*.br' -o -name '*.gz' \) -delete

serve: static
	$(VENV)/bin/gunicorn -c gunicorn.conf.py "pwa:create_app()"
