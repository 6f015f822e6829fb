"""Does fine-tuning the packaged embedder on SciFact train pay? Measured on held-out train queries.

SciFact's test judgements are held back, so the train split is divided by query (seeded, 80/20):
the embedder is fine-tuned on the 80 % part's (claim, abstract) pairs with `rag.models.finetune`, the
corpus is re-indexed with it, and both embedders are scored on the 20 % part for every
retrieval configuration of eval/tune_retrieval.py.

    python eval/finetune_scifact.py --epochs 1 --out eval/finetune_scifact.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tune_retrieval import REPO, _index, sweep  # noqa: E402

from rag.config import load_settings  # noqa: E402
from rag.evaluate.beir.data import load_beir, materialize_corpus  # noqa: E402
from rag.evaluate.beir.finetune import judged_pairs  # noqa: E402
from rag.models.embedders import create_embedder  # noqa: E402
from rag.models.finetune import finetune_embedder  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scifact", default=str(REPO.parent / "shared/data/scifact"))
    parser.add_argument("--work", default="/tmp/rag-tune")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--heldout", type=float, default=0.2)
    parser.add_argument("--out")
    args = parser.parse_args()

    settings = load_settings()
    work = Path(args.work)
    data = load_beir(args.scifact, "train")
    ids = sorted(data.queries)
    random.Random(0).shuffle(ids)
    cut = int(len(ids) * (1 - args.heldout))
    train_ids, heldout_ids = sorted(ids[:cut]), sorted(ids[cut:])
    pairs = judged_pairs(data, train_ids)
    print(f"{len(train_ids)} train queries ({len(pairs)} pairs), {len(heldout_ids)} held-out queries", file=sys.stderr)

    model_dir = work / f"scifact-minilm-ft-e{args.epochs}"
    if not (model_dir / "rag_finetune.json").exists():
        report = finetune_embedder(settings.embedder, pairs, model_dir, epochs=args.epochs, show_progress=True)
        print(f"fine-tuned in {report.seconds:.0f}s, losses {report.losses}", file=sys.stderr)
    heldout_queries = {q: data.queries[q] for q in heldout_ids}
    heldout_qrels = {q: data.qrels[q] for q in heldout_ids}
    materialize_corpus(data, work / "scifact-corpus")
    results = {"train_queries": len(train_ids), "pairs": len(pairs), "heldout_queries": len(heldout_ids)}
    for label, name, index_dir in (
        ("packaged all-MiniLM-L6-v2", settings.embedder, work / "scifact"),
        (f"fine-tuned ({args.epochs} epoch)", str(model_dir), work / f"scifact-ft-e{args.epochs}"),
    ):
        embedder = create_embedder(name, batch_size=settings.embed_batch_size)
        index = _index(settings.replace(embedder=name), work / "scifact-corpus", index_dir, embedder)
        results[label] = sweep(
            f"SciFact train, held-out 20 % — {label}", index, embedder, heldout_queries, heldout_qrels, 400
        )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
