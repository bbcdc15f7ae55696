# paymux — the two commands a developer needs are `make dev` and `make test`.
SHELL := /bin/bash
# The Lambda runtime is python3.13; develop and test on the same interpreter.
PYTHON313 ?= $(shell PYENV_VERSION=3.13.0 python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null || command -v python3.13)
VENV := .venv
SAMVENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAMVENV)/bin/sam
# checkov pins boto3/botocore/packaging/networkx versions older than the dev venv's: its own venv.
CHECKOVVENV := .venv-checkov
CHECKOV := $(CHECKOVVENV)/bin/checkov
# sam build resolves the runtime's python from PATH.
SAMPATH := $(dir $(PYTHON313)):$(PATH)

.PHONY: dev test validate bench lint typecheck security unit clean browser sdk

$(VENV)/.installed: requirements-dev.txt layers/common/requirements.txt
	@test -n "$(PYTHON313)" || { echo "python3.13 not found (pyenv 3.13.0 or a system python3.13 is required)"; exit 1; }
	test -x $(PY) || $(PYTHON313) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

$(SAMVENV)/.installed: requirements-sam.txt
	@test -n "$(PYTHON313)" || { echo "python3.13 not found"; exit 1; }
	test -x $(SAMVENV)/bin/python || $(PYTHON313) -m venv $(SAMVENV)
	$(SAMVENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAMVENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $@

$(CHECKOVVENV)/.installed: requirements-checkov.txt
	@test -n "$(PYTHON313)" || { echo "python3.13 not found"; exit 1; }
	test -x $(CHECKOVVENV)/bin/python || $(PYTHON313) -m venv $(CHECKOVVENV)
	$(CHECKOVVENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOVVENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

dev: $(VENV)/.installed
	$(PY) -m local

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy --strict sdk/python/paymux_sdk

# checkov on the template (every failed check fixed or skipped inline with its reason) and bandit
# on the layer (findings fixed or `# nosec` with the reason); offline, about 5 s together.
security: $(VENV)/.installed $(CHECKOVVENV)/.installed
	$(CHECKOV) --file template.yaml --framework cloudformation --quiet --compact --skip-download
	$(VENV)/bin/bandit --quiet --recursive layers/common/paymux

# The whole suite, the checkout's browser tests included (tests/browser, about 2 min).
test: lint typecheck security
	$(VENV)/bin/pytest

# Only the checkout and the console in headless Chromium (Debian's chromium + fonts-noto-cjk;
# .ci/run installs them).
browser: $(VENV)/.installed
	$(VENV)/bin/pytest tests/browser tests/console_browser -m browser

# Only the five SDKs (their own tests, end-to-end payments and README snippets; tests/sdk).
sdk: $(VENV)/.installed
	$(VENV)/bin/pytest tests/sdk

validate: $(VENV)/.installed $(SAMVENV)/.installed security
	$(VENV)/bin/cfn-lint template.yaml
	PATH="$(SAMPATH)" SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --region us-east-1
	PATH="$(SAMPATH)" SAM_CLI_TELEMETRY=0 $(SAM) build --no-cached

bench: $(VENV)/.installed
	$(PY) -m bench

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
