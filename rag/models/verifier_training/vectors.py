"""Vectors of every training text, computed once and kept on disk in shards (float16), so that a
re-run, an interrupted run or a run with more pairs encodes only the texts it has not seen."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.models.verifier_features import Encoded

__all__ = ["VectorStore"]

log = logging.getLogger(__name__)


class VectorStore:
    """`folder/shard-NNNN.npz`, each with the list of its texts in `folder/shard-NNNN.json`."""

    def __init__(self, folder: Path, shard_size: int = 2048) -> None:
        self.folder = Path(folder)
        self.shard_size = shard_size
        self._index: dict[str, Encoded] = {}

    def build(self, texts: Sequence[str], encode: Callable[[list[str]], list[Encoded]]) -> None:
        """Load the stored vectors, encode the texts not among them (shortest first, in shards)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        shards = sorted(self.folder.glob("shard-*.json"))
        for listing in shards:
            self._load(listing)
        todo = sorted(set(texts) - self._index.keys(), key=lambda t: (len(t), t))
        log.info("vectors: %d texts stored, %d to encode", len(self._index), len(todo))
        for start in range(0, len(todo), self.shard_size):
            part = todo[start : start + self.shard_size]
            encoded = encode(part)
            listing = self.folder / f"shard-{len(shards):04d}.json"
            arrays = listing.with_suffix(".npz")
            temporary = arrays.with_name(arrays.stem + ".tmp.npz")
            np.savez(
                temporary,
                vectors=np.stack([e.vector for e in encoded]).astype(np.float16),
                tokens=np.concatenate([e.tokens for e in encoded if len(e.tokens)]).astype(np.float16),
                lengths=np.array([len(e.tokens) for e in encoded], dtype=np.int32),
            )
            temporary.replace(arrays)
            listing.write_text(json.dumps(part, ensure_ascii=False), encoding="utf-8")  # last: the shard is whole
            shards.append(listing)
            self._load(listing)
            log.info("vectors: %d/%d new texts encoded", min(start + self.shard_size, len(todo)), len(todo))

    def _load(self, listing: Path) -> None:
        texts = json.loads(listing.read_text(encoding="utf-8"))
        with np.load(listing.with_suffix(".npz")) as shard:
            vectors, tokens, lengths = shard["vectors"], shard["tokens"], shard["lengths"]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        for i, text in enumerate(texts):
            self._index[text] = Encoded(vectors[i], tokens[offsets[i] : offsets[i + 1]])

    def __getitem__(self, text: str) -> Encoded:
        stored = self._index[text]
        return Encoded(stored.vector.astype(np.float32), stored.tokens.astype(np.float32))
