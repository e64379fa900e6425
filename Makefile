# mixchat: `make demo` and `make test` do all the set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean system-packages

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
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_master.py

clean:
	rm -rf $(VENV) mixchat-demo .pytest_cache
