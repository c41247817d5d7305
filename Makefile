# graphkit: `make demo` runs the main job end to end; `make test` runs the whole suite
# against a throwaway Neo4j. Both create .venv and install graphkit first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DATA := data/demo
DEMO_STORE := .graphkit-demo
DEMO_EXP_DATA := data/demo-exp
DEMO_EXP_STORE := .graphkit-demo-exp
REPORTS := reports

.PHONY: install demo test lint typecheck bench bench-gds neo4j-start neo4j-stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo runs on the embedded store, whatever GRAPHKIT_NEO4J_URI says.
demo: install
	@mkdir -p $(REPORTS)
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit simulate $(DEMO_DATA) --users 2000 --seed 7 --force
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit load $(DEMO_DATA) --store $(DEMO_STORE)
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit centrality --store $(DEMO_STORE) --top 20
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit centrality --store $(DEMO_STORE) --out $(REPORTS)/centrality.csv
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit communities --store $(DEMO_STORE) --write-back --out $(REPORTS)/communities.json
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit features --store $(DEMO_STORE) --out $(REPORTS)/features.csv
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit report influencers --store $(DEMO_STORE) --out $(REPORTS)/influencers.html --out $(REPORTS)/influencers.md --out $(REPORTS)/influencers.json
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit report engagement --store $(DEMO_STORE) --out $(REPORTS)/engagement.html --out $(REPORTS)/engagement.md --out $(REPORTS)/engagement.json
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit simulate $(DEMO_EXP_DATA) --users 2000 --seed 7 --experiment feed --effect sessions=0.1 --force
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit load $(DEMO_EXP_DATA) --store $(DEMO_EXP_STORE)
	env -u GRAPHKIT_NEO4J_URI $(BIN)/graphkit report experiment feed --store $(DEMO_EXP_STORE) --out $(REPORTS)/experiment.html --out $(REPORTS)/experiment.md --out $(REPORTS)/experiment.json
	@echo "demo outputs are in $(REPORTS)/"

test: install
	scripts/install-system-deps
	scripts/with-test-neo4j $(BIN)/pytest

lint: install
	$(BIN)/ruff check graphkit tests benchmarks
	$(BIN)/mypy graphkit

# The server gets the memory a 1M-relationship graph needs (the test default, 1g heap and
# 512m page cache, is sized for the suite: with it loads run ~40% slower).
bench: install
	NEO4J_HEAP=4g NEO4J_PAGECACHE=2g scripts/with-test-neo4j $(BIN)/python benchmarks/bench_graph.py $(BENCH_ARGS)

# GDS in the server (no graph pulled) and `graphkit load` against LOAD CSV, same server and
# data. BENCH_GDS_ARGS=--exact-closeness adds exact closeness of every user (heavy).
bench-gds: install
	NEO4J_HEAP=4g NEO4J_PAGECACHE=2g scripts/with-test-neo4j $(BIN)/python benchmarks/bench_gds.py $(BENCH_GDS_ARGS)

neo4j-start:
	scripts/neo4j-local start

neo4j-stop:
	scripts/neo4j-local stop

clean:
	rm -rf $(VENV) $(DEMO_STORE) $(DEMO_EXP_STORE) $(REPORTS) dist build .pytest_cache .ruff_cache .mypy_cache
