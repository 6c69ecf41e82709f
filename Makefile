# Two commands: `make run` serves the app with a demo building, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000
HOST ?= 127.0.0.1
# The address links in mails start with (the worker's digests and reminders too).
POLE_BASE_URL ?= http://$(HOST):$(PORT)
FLASK := $(VENV)/bin/flask --app app
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.6.2
LOCK_FLAGS = --quiet --generate-hashes --allow-unsafe --strip-extras --all-build-deps \
	--no-emit-index-url --no-emit-find-links $(LOCK_UPGRADE)

.PHONY: run test install lock assets db lint format bench clean

run: install
	$(FLASK) db upgrade
	$(FLASK) pole demo --if-empty
	@# The worker (outbox, daily jobs) runs beside the server and stops with it. Without
	@# MAIL_SERVER, mails (reset and invitation links included) are written to the log.
	POLE_BASE_URL=$(POLE_BASE_URL) POLE_MAIL_LOG_BODY=1 $(FLASK) pole worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	POLE_BASE_URL=$(POLE_BASE_URL) POLE_MAIL_LOG_BODY=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed static/vendor/htmx.min.js

# Every package comes from the lock, at its pinned version and hash, so that no new release
# can change CI overnight; the project itself is then installed alone, built by the locked
# setuptools. `make lock` regenerates the locks after a change to pyproject.toml.
$(VENV)/.installed: requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check  # a dependency added to pyproject.toml but not locked: run `make lock`
	touch $@

# requirements-dev.txt: the app, its dev extras and its build backend, for make and CI;
# requirements.txt: the app alone, at the same versions, for a deployment.
# `make lock LOCK_UPGRADE=--upgrade` moves every pin to the newest release allowed.
lock: export CUSTOM_COMPILE_COMMAND = make lock
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet pip==$(PIP_VERSION) pip-tools==$(PIP_TOOLS_VERSION)
	$(VENV)-lock/bin/pip-compile $(LOCK_FLAGS) --extra dev -o requirements-dev.txt pyproject.toml
	$(VENV)-lock/bin/pip-compile $(LOCK_FLAGS) -c requirements-dev.txt -o requirements.txt pyproject.toml

# htmx is pinned in package.json/package-lock.json and served from static/, never from a CDN.
static/vendor/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	touch $@

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) bench/run.py
	$(PY) bench/feeds.py

clean:
	rm -rf $(VENV) $(VENV)-lock node_modules static/vendor
