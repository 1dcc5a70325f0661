# Developer commands; see README.md ("Commands"). All of them are in
# scripts/dev.py, which needs nothing but Python 3.
PYTHON ?= python3
TAGS ?=
TIERS ?=
DEV = $(PYTHON) scripts/dev.py
export PYTHON

.PHONY: help deps run test test-core lint format stop

help:
	@echo "make run        serve the demo database b2b_demo on http://localhost:8069"
	@echo "make test       Odoo-free tests, then the addon's tests in Odoo"
	@echo "                (TAGS=/b2b_dropship:TestX for a subset, TIERS=odoo or TIERS=tools)"
	@echo "make test-core  Odoo's tests of sale_stock, purchase_stock, stock_dropshipping"
	@echo "make lint       ruff and pylint-odoo"
	@echo "make format     ruff format and ruff's safe fixes"
	@echo "make deps       install what is missing"
	@echo "make stop       stop the private PostgreSQL cluster"

deps:
	@$(DEV) deps --dev

run:
	@$(DEV) run

test:
	@$(DEV) test --tags '$(TAGS)' --tiers '$(TIERS)'

test-core:
	@$(DEV) test-core

lint:
	@$(DEV) lint

format:
	@$(DEV) format

stop:
	@$(DEV) stop
