"""Fine-tuning the embedder on a BEIR split's judged (query, relevant document) pairs."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from rag.config import Settings
from rag.evaluate.beir.data import BeirData, load_beir, read_records

__all__ = ["judged_pairs", "finetune_on_split"]

log = logging.getLogger("rag.evaluate.beir")


def judged_pairs(data: BeirData, query_ids: list[str]) -> list[tuple[str, str]]:
    """(query text, "title\n\ntext" of a relevant document) for each judged pair of these queries."""
    wanted = {d for q in query_ids for d in data.qrels[q]}
    documents = {}
    for _, record in read_records(data.corpus_path):
        if str(record["_id"]) in wanted:
            documents[str(record["_id"])] = f"{record.get('title') or ''}\n\n{record.get('text') or ''}".strip()
    return [(data.queries[q], documents[d]) for q in query_ids for d in sorted(data.qrels[q]) if d in documents]


def finetune_on_split(settings: Settings, directory: str | Path, split: str, output: Path, epochs: int) -> str:
    """Fine-tune the settings' embedder on a split's judged pairs (cached in `output`); returns its path."""
    from rag.models.finetune import finetune_embedder

    if (output / "rag_finetune.json").is_file():
        log.info("re-using the fine-tuned embedder in %s", output)
        return str(output)
    data = load_beir(directory, split)
    pairs = judged_pairs(data, list(data.qrels))
    finetune_embedder(settings.embedder, pairs, output, epochs=epochs, show_progress=sys.stderr.isatty())
    return str(output)
