# omicsnet: one command to set up and run the demo, one to set up and run the tests.
#   make demo   - create .venv, install everything, run `omicsnet demo` on built-in data
#   make test   - create .venv, install everything, run the test suite (what CI runs)
#
# torch is pinned to the CPU build 2.13.0 and installed first, and pinned again with the
# package, so no resolver ever pulls a multi-GB CUDA build. On a machine without the local
# CPU wheel, name PyTorch's CPU index for the torch step only:
#   make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu
# pcst_fast is built from source: its wheel returns wrong (all-zero) solutions under numpy 2.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
EXTRAS ?= all,ray,test
PYTEST_ARGS ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.omicsnet-installed

.PHONY: install demo test test-all lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/python -m pip install --quiet --no-binary pcst_fast -e ".[$(EXTRAS)]" $(TORCH)
	touch $(STAMP)

demo: install
	$(BIN)/omicsnet demo

test: install
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-all: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check omicsnet tests benchmarks

bench: install
	$(BIN)/omicsnet bench run trainer-overhead startup --publish

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
