# The two commands: `make run` (the whole API on http://127.0.0.1:3000) and `make test`.
# Each sets itself up: a Python 3.13 virtualenv in .venv with the pinned dependencies.

PYTHON ?= python3.13
PORT ?= 3000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: test lint template checkov unit run clean lock

# uv installs the ~120 locked packages in seconds where pip takes a minute and a half, which
# is most of a first `make run` on a fresh clone.
UV_VERSION := 0.13.9
UV := $(BIN)/uv

$(UV):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 13), f"need Python 3.13, got {sys.version}: install it, then rm -rf $(VENV)"'
	$(BIN)/pip install --quiet uv==$(UV_VERSION)

# uv reads no pip configuration: where only pip's configured index or wheel folder is reachable,
# pip installs the same locked set, slower.
$(STAMP): requirements-dev.lock | $(UV)
	$(UV) pip install --quiet --python $(BIN)/python -r requirements-dev.lock \
		|| $(BIN)/pip install --quiet -r requirements-dev.lock
	@touch $(STAMP)

# What `make run` gives the functions beside their code: the layer's requirements for this
# machine, apart from the dev tools (tools/local_api/server.py, LAYER_SITE), pruned by the layer
# build's own rules, so that an import that fails on Lambda fails here too. Made again when
# either Makefile changes.
LAYER_SITE := $(VENV)/layer-site
$(LAYER_SITE)/.installed: Makefile layers/common/Makefile layers/common/requirements.txt requirements-dev.lock | $(STAMP)
	rm -rf $(LAYER_SITE)
	$(UV) pip install --quiet --python $(BIN)/python --target $(LAYER_SITE) -r layers/common/requirements.txt -c requirements-dev.lock \
		|| $(BIN)/pip install --quiet --target $(LAYER_SITE) -r layers/common/requirements.txt -c requirements-dev.lock
	$(MAKE) --silent -C layers/common prune SITE=$(abspath $(LAYER_SITE))
	@touch $@

# requirements-dev.lock pins every package of the virtualenv; edit requirements-dev.txt (or the
# layer's requirements.txt), then run this. tests/unit/test_lock.py fails while they disagree.
lock: | $(UV)
	$(UV) pip compile --quiet --universal --python-version 3.13 --custom-compile-command "make lock" \
		requirements-dev.txt -o requirements-dev.lock

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The template must validate and build offline (SAM downloads the layer's wheels for the
# template's Architecture).
template: $(STAMP)
	$(BIN)/sam validate --lint
	$(BIN)/sam build --build-dir .aws-sam/build --cached --parallel > .aws-sam-build.log 2>&1 || (cat .aws-sam-build.log; exit 1)

# checkov, an independent scanner, in a virtualenv of its own (requirements-checkov.txt pins it).
CHECKOV_VENV := $(VENV)/checkov
$(CHECKOV_VENV)/.installed: requirements-checkov.txt | $(UV)
	rm -rf $(CHECKOV_VENV)
	$(BIN)/python -m venv $(CHECKOV_VENV)
	$(UV) pip install --quiet --python $(CHECKOV_VENV)/bin/python -r requirements-checkov.txt \
		|| $(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	@touch $@

# It reads the template as sam expands it (it cannot unroll Fn::ForEach itself); any failed check
# fails. A check that does not apply is skipped in template.yaml, next to its reason.
checkov: $(STAMP) $(CHECKOV_VENV)/.installed
	$(BIN)/python -m tools.local_api expand --output .aws-sam/expanded.json
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation --file .aws-sam/expanded.json

unit: $(STAMP) $(LAYER_SITE)/.installed
	$(BIN)/pytest

test: lint template checkov unit

clean:
	rm -rf $(VENV) .aws-sam .aws-sam-build.log .pytest_cache .ruff_cache

# ---------------------------------------------------------------- local API (tools/local_api)
.PHONY: demo loadtest openapi tables token

# The whole API from template.yaml on 127.0.0.1:3000, with an embedded DynamoDB whose data
# survives restarts (in .local/). `make run FRESH=1` starts empty, `make run PORT=3001` serves
# elsewhere when 3000 is taken, `make run AUTH=none` turns authorization off, `make run WORKERS=8`
# runs up to 8 requests of one function at once (default 4; more wait their turn), `make run
# LOGS=1` shows the functions' JSON logs and metrics; a non-empty AWS_ENDPOINT_URL_DYNAMODB uses
# that DynamoDB instead (DynamoDB Local, AWS).
AUTH ?= jwt
run: $(STAMP) $(LAYER_SITE)/.installed
	$(BIN)/python -m tools.local_api serve --host 127.0.0.1 --port $(PORT) --auth $(AUTH) $(if $(FRESH),--fresh) $(if $(WORKERS),--workers $(WORKERS)) $(if $(LOGS),--function-logs)

# A bearer token of the local issuer `make run` trusts: `make -s token CLIENT_ID=<id>` for a
# client, `make -s token SERVICE=1` for a service (-s: only the token on stdout).
token: $(STAMP)
	@$(BIN)/python -m tools.local_api token $(if $(SERVICE),--service) $(if $(CLIENT_ID),--client-id $(CLIENT_ID))

# A demo client with sessions in every status, loaded into the running `make run`.
demo: $(STAMP)
	$(BIN)/python -m tools.local_api demo

# Requests/s and memory (RSS of the server and its workers) of the running `make run` at 1, 4 and
# 40 concurrent callers (docs/local.md). Not a test. `make loadtest ARGS="--requests 1000"`.
loadtest: $(STAMP)
	$(BIN)/python -m tools.local_api loadtest $(ARGS)

# openapi.json from the functions' routes (a test fails while it is out of date).
openapi: $(STAMP)
	$(BIN)/python -m tools.openapi

# The template's tables at $AWS_ENDPOINT_URL_DYNAMODB, for `sam local start-api` (see README).
tables: $(STAMP)
	$(BIN)/python -m tools.local_api tables

# ---------------------------------------------------------------- benchmark (tools/bench)
.PHONY: bench

# Cold start, warm CPU, memory and sizes of every function next to a bare boto3 baseline, from
# what `sam build` builds: reports/bench.md and reports/bench.json (docs/benchmarks.md explains).
# Not a test: nothing here fails on a number. `make bench ARGS="--only get_client --cold-runs 3"`.
bench: $(STAMP)
	$(BIN)/python -m tools.bench $(ARGS)
