# Two commands do everything on a fresh machine with Python 3.11: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := var/demo.db

.PHONY: demo test install lint bench clean

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

# pytest exits 5 when it collects no test; that is not a failure of the suite.
test: install
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

lint: install
	$(BIN)/ruff check src tests bench scripts

bench: install
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_search.py

clean:
	rm -rf $(VENV) var build *.egg-info
