# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: system-packages install run test bench histories readme clean

install: system-packages $(STAMP)

## The system libraries PyPI cannot bring (Pango, HarfBuzz, a font), checked first: when one is
## missing, one line names the command that installs it.
system-packages:
	@$(PYTHON) starter/system_packages.py

## The bytecode is written at install, even where PYTHONDONTWRITEBYTECODE is set: the workflow sandbox
## imports the workflow's module afresh for every run it starts, and would compile it each time.
$(STAMP): pyproject.toml
	@echo "installing into $(VENV) (about a minute the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e ".[test]"
	@$(BIN)/python -m compileall -qq activities workflows starter web bench worker.py
	@touch $(STAMP)

## Start the Temporal dev server (state in var/, UI on http://localhost:8233) and a worker.
run: system-packages $(STAMP)
	$(BIN)/ea run

## Run the whole test suite against a real Temporal dev server (its last line: tests passed, time taken).
test: system-packages $(STAMP)
	@$(PYTHON) starter/system_packages.py --for-tests
	$(BIN)/python -m pytest

## Benchmarks (not part of the tests, about half an hour on 2 cores): journeys against raw Temporal doing
## the same Temporal work, latency under load, 10,000 open cases, recovery after a kill -9 and a server
## restart (all in one run, which writes docs/PERFORMANCE.md); the registry's list queries among 100,000
## cases; the funders' and fidelity reports on 10,000 cases (SQLite and PostgreSQL); the staff application's day and caseload among 20,000 cases.
bench: $(STAMP)
	$(BIN)/python -m bench.journeys
	$(BIN)/python -m bench.registry_list
	$(BIN)/python -m bench.report --backends sqlite,postgresql --output docs/PERFORMANCE.md
	$(BIN)/python -m bench.web_day

## Write the README's table of steps again from the declarations (a test fails while it is stale).
readme: $(STAMP)
	$(BIN)/python -m starter.readme

## Re-record the histories the replay tests use (only for an intended, patched change).
histories: $(STAMP)
	$(BIN)/python -m tests.record_history $(GENERATION)

## Forget every case: removes var/ (Temporal's and the registry's SQLite files).
clean:
	rm -rf var
