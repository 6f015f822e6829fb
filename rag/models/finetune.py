"""Fine-tune the embedder on (question, passage) pairs: in-batch negatives (MultipleNegativesRankingLoss).

A plain PyTorch loop over the sentence-transformers model, so no extra training packages are
needed, CPU-only is fine for a few thousand pairs, and the result is an ordinary
sentence-transformers folder to name in the `embedder` setting (then `rag index --rebuild`).
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.jsonl import iter_jsonl_objects

__all__ = ["FinetuneReport", "read_pairs", "make_batches", "finetune_embedder"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneReport:
    base: str
    output: str
    pairs: int
    epochs: int
    steps: int
    losses: tuple[float, ...]  # mean loss per epoch
    seconds: float


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """(question, passage) pairs from JSONL: `question`/`passage`, or RAGAS `user_input`/`reference_contexts`."""
    path = Path(path)
    pairs: list[tuple[str, str]] = []
    for number, record in iter_jsonl_objects(path):
        question = record.get("question", record.get("user_input"))
        passages = record.get("passage", record.get("reference_contexts"))
        if isinstance(passages, str):
            passages = [passages]
        if not isinstance(question, str) or not question.strip():
            raise InputError(f"{path}:{number}: 'question' must be non-empty text")
        if (
            not isinstance(passages, list)
            or not passages
            or not all(isinstance(p, str) and p.strip() for p in passages)
        ):
            raise InputError(f"{path}:{number}: 'passage' must be non-empty text (or a list of texts)")
        pairs.extend((question.strip(), p.strip()) for p in passages)
    if len(pairs) < 2:
        raise InputError(f"{path}: need at least 2 (question, passage) pairs, found {len(pairs)}")
    return pairs


def make_batches(pairs: Sequence[tuple[str, str]], batch_size: int, seed: int) -> Iterator[list[tuple[str, str]]]:
    """Shuffled batches in which no passage appears twice (a duplicate would be a false negative)."""
    import random

    order = list(range(len(pairs)))
    random.Random(seed).shuffle(order)
    pending = order
    while pending:
        batch, seen, rest = [], set(), []
        for i in pending:
            if len(batch) < batch_size and pairs[i][1] not in seen:
                batch.append(pairs[i])
                seen.add(pairs[i][1])
            else:
                rest.append(i)
        if len(batch) < 2:
            return
        yield batch
        pending = rest


def finetune_embedder(
    base: str,
    pairs: Sequence[tuple[str, str]],
    output: str | Path,
    epochs: int = 1,
    batch_size: int = 32,
    learning_rate: float = 2e-5,
    scale: float = 20.0,
    seed: int = 0,
    show_progress: bool = False,
) -> FinetuneReport:
    """Train `base` (a sentence-transformers name or folder) and save the result to `output`."""
    import torch
    from sentence_transformers import SentenceTransformer

    from rag.models.embedders import resolve_model_path

    if epochs < 1 or batch_size < 2:
        raise InputError("finetune needs epochs >= 1 and batch size >= 2")
    started = time.perf_counter()
    torch.manual_seed(seed)
    model = SentenceTransformer(resolve_model_path(base), device="cpu")
    model.train()
    # Each epoch shuffles with its own seed, so its batch count can differ slightly.
    epoch_batches = [list(make_batches(pairs, batch_size, seed + epoch)) for epoch in range(epochs)]
    total = sum(len(b) for b in epoch_batches)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    warmup = max(1, total // 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (total - step) / max(1, total - warmup))
    )
    loss_fn = torch.nn.CrossEntropyLoss()

    def encode(texts: list[str]):
        # `preprocess` replaced `tokenize` in sentence-transformers 6.
        features = (getattr(model, "preprocess", None) or model.tokenize)(texts)
        embeddings = model(features)["sentence_embedding"]
        return torch.nn.functional.normalize(embeddings, dim=-1)

    losses = []
    step = 0
    for epoch in range(epochs):
        epoch_losses = []
        batches = epoch_batches[epoch]
        if show_progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=f"epoch {epoch + 1}/{epochs}", unit="batch")
        for batch in batches:
            queries = encode([q for q, _ in batch])
            passages = encode([p for _, p in batch])
            scores = queries @ passages.T * scale
            loss = loss_fn(scores, torch.arange(len(batch)))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            epoch_losses.append(float(loss.detach()))
        losses.append(sum(epoch_losses) / max(1, len(epoch_losses)))
        log.info("epoch %d: mean loss %.4f", epoch + 1, losses[-1])
    if any(math.isnan(x) for x in losses):
        raise InputError("fine-tuning diverged (loss is NaN); try a lower learning rate; nothing was saved")
    model.eval()
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    model.save(str(output))
    report = FinetuneReport(base, str(output), len(pairs), epochs, step, tuple(losses), time.perf_counter() - started)
    (output / "rag_finetune.json").write_text(
        json.dumps({**report.__dict__, "losses": [round(x, 5) for x in losses]}, indent=1) + "\n", encoding="utf-8"
    )
    return report
