# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := var/demo
CONFIG := config/pantau.demo.toml

.PHONY: run test lint typecheck bench install clean demo locales

$(STAMP): pyproject.toml
	scripts/install-report-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

PANTAU := $(BIN)/pantau --config $(CONFIG)
AS_OF ?= 2026-11-22

# The demo year: generate it, import every file (rejected rows are listed, not lost), check it,
# write the digests as .eml files, then start the daemon (Ctrl-C stops it).
run: $(STAMP)
	@# The web interface's signing key: random, in var/ (never committed), made once.
	@test -s var/web-secret.key || (mkdir -p var && umask 077 && head -c 32 /dev/urandom | base64 > var/web-secret.key)
	$(PANTAU) demo-data $(DEMO) --as-of $(AS_OF)
	$(PANTAU) ingest contracts $(DEMO)/contracts.csv
	$(PANTAU) ingest addenda $(DEMO)/addenda.csv
	$(PANTAU) ingest registrations $(DEMO)/registrations.xlsx
	$(PANTAU) ingest payments $(DEMO)/payments.csv
	$(PANTAU) ingest agreements $(DEMO)/agreements.xlsx
	$(PANTAU) ingest kampung $(DEMO)/kampung.csv
	$(PANTAU) check --as-of $(AS_OF)
	$(PANTAU) alerts send
	$(PANTAU) report monev --as-of $(AS_OF) --format html
	$(PANTAU) report monev --as-of $(AS_OF) --format xlsx
	$(PANTAU) report monev --as-of $(AS_OF) --format pdf
	@echo
	@echo "Database: var/pantau.db   Demo files: $(DEMO)/   E-mails (.eml): var/outbox/"
	@echo "Monev report: var/reports/monev-$(AS_OF).html (any browser), .pdf (any PDF reader), .xlsx (Excel, LibreOffice)"
	@echo "Rejected rows (line and reason): $(PANTAU) rejects"
	@echo "Findings: $(PANTAU) findings --severity critical   (--format json|csv)"
	@echo
	@$(PANTAU) user demo-admin
	@echo
	$(PANTAU) run

test: $(STAMP)
	$(BIN)/ruff check monitor checks alerts tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -q

# Click's words in Indonesian: compile the catalog after editing monitor/cli/locales/*/LC_MESSAGES/click.po.
locales: $(STAMP)
	$(BIN)/pybabel compile --domain click --directory monitor/cli/locales --statistics

bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCHES)

clean:
	rm -rf $(VENV) var
