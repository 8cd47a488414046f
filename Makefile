# Two commands do everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := var/demo.db
CHROMIUM ?= /usr/bin/chromium
PORT ?= 8000

.PHONY: demo serve test install browser lint bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

demo: install
	@mkdir -p var
	$(BIN)/trialscout ingest --sample --db $(DEMO_DB)
	$(BIN)/trialscout search "metastatic breast cancer" --db $(DEMO_DB) --limit 5
	$(BIN)/trialscout search "lung cancer" --status RECRUITING --status ACTIVE_NOT_RECRUITING --db $(DEMO_DB) --limit 3
	$(BIN)/trialscout show $$($(BIN)/trialscout search "breast cancer" --db $(DEMO_DB) --limit 1 --json \
		| $(BIN)/python -c "import json,sys; print(json.load(sys.stdin)['hits'][0]['nct_id'])") --db $(DEMO_DB)
	$(BIN)/trialscout patient src/trialscout/data/demo-note.txt
	$(BIN)/trialscout match src/trialscout/data/demo-note.txt --db $(DEMO_DB) --top 5
	@echo
	@echo "Web pages and REST API over this store: make serve   (then open http://127.0.0.1:$(PORT)/)"

# The web interface and REST API on the demo store (ingested first if missing), until Ctrl-C.
serve: install
	@test -f $(DEMO_DB) || { mkdir -p var && $(BIN)/trialscout ingest --sample --db $(DEMO_DB); }
	$(BIN)/trialscout serve --db $(DEMO_DB) --port $(PORT)

# The browser tests drive Debian's Chromium (never a downloaded browser); installed here when missing.
browser:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }
	@test -x $(CHROMIUM) || { echo "no $(CHROMIUM): install Debian's chromium package"; exit 1; }

# pytest exits 5 when it collects no test; that is not a failure of the suite.
test: install browser
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

lint: install
	$(BIN)/ruff check src tests bench scripts

bench: install
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_search.py

# Mutated real inputs through every reader and the patient endpoints, in child processes so that a crash is counted
# (FUZZ_MINUTES=30 for the long run); prints cases, clean errors, uncaught exceptions, crashes and hangs.
FUZZ_MINUTES ?= 10
fuzz: install
	$(BIN)/python bench/fuzz.py --minutes $(FUZZ_MINUTES)

clean:
	rm -rf $(VENV) var build *.egg-info
