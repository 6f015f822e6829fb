"""BEIR-format datasets: score our retrieval on them (`rag eval-retrieval --beir DIR`).

The corpus is written out as one text file per document (title on the first line) and indexed
with the same code and settings as a user's folder, into its own index directory (incremental,
so a second run re-uses it).

- `data`: `load_beir`, `BeirData`, `materialize_corpus`.
- `retrieval`: `evaluate_beir`, `score_rankings`, `doc_ranking`.
- `finetune`: `judged_pairs`, `finetune_on_split`.

The command line lives in `rag.serve.eval_commands`.
"""

from __future__ import annotations

from rag.evaluate.beir.data import BeirData, load_beir, materialize_corpus
from rag.evaluate.beir.finetune import finetune_on_split, judged_pairs
from rag.evaluate.beir.retrieval import BeirResult, doc_ranking, evaluate_beir, score_rankings

__all__ = [
    "BeirData",
    "BeirResult",
    "load_beir",
    "materialize_corpus",
    "doc_ranking",
    "score_rankings",
    "evaluate_beir",
    "judged_pairs",
    "finetune_on_split",
]
