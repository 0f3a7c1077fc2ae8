.PHONY: setup run test token bench train lint clean
ROLE ?= admin
ID ?= 1

setup:            ## install everything (idempotent)
	@scripts/setup.sh

run: setup        ## start Postgres + Rasa + actions + web app; Ctrl-C stops all
	@scripts/run.sh

test: setup       ## the whole suite (what CI runs)
	@scripts/test.sh

train: setup      ## train the Rasa model if data/config changed
	@scripts/train.sh

token: setup      ## print a JWT: make token ROLE=patient ID=1
	@.venv/bin/python -m chatbot.cli token --role $(ROLE) --id $(ID)

bench: setup      ## benchmarks (print percentiles; results go to docs/benchmarks.md)
	@scripts/bench.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

clean:
	rm -rf .data models results
