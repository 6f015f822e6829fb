"""Shared fixtures: a deterministic hash embedder and small corpora under tmp_path."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from rag.config import Settings, load_settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED_DATA = REPO.parent / "shared" / "data"
_WORD = re.compile(r"\w+")


class HashEmbedder:
    """Bag of hashed lower-cased words: texts sharing words get similar vectors. Counts calls."""

    name = "test-hash-embedder"

    def __init__(self, dimension: int = 64, max_tokens: int = 254) -> None:
        self._dimension = dimension
        self._max_tokens = max_tokens
        self.embedded_texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def count_tokens(self, text: str) -> int:
        return len(_WORD.findall(text))

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self._dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = hashlib.md5(word.encode()).digest()
            vec[int.from_bytes(digest[:4], "little") % self._dimension] += 1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.embedded_texts.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dimension), np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts])


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "apples.txt").write_text(
        "Apples\n\nApples grow on trees in orchards. The Fuji apple was developed in Japan in the 1930s. "
        "Apple harvest in the north starts in September.\n",
        encoding="utf-8",
    )
    (root / "rivers.md").write_text(
        "# Rivers\n\nThe Yangtze is the longest river in Asia. It flows for 6,300 kilometres. "
        "The Three Gorges Dam spans the Yangtze near Yichang.\n",
        encoding="utf-8",
    )
    (root / "chips.html").write_text(
        "<html><head><title>Chips</title><style>p {color: red}</style></head><body>"
        "<script>alert('x')</script><p>Semiconductor fabs need extreme ultraviolet lithography.</p>"
        "<p>The fab in Dresden opened in 2023.</p></body></html>",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, corpus: Path) -> Settings:
    return load_settings(
        env={},
        overrides={
            "index_dir": str(tmp_path / "index"),
            "corpus_dir": str(corpus),
            "embedder": HashEmbedder.name,
            "chunk_size": 30,
            "chunk_overlap": 5,
            "min_score": 0.0,
            "min_sentence_score": 0.0,
            "generator": "extractive",
        },
    )


class ScriptedGenerator:
    """A streaming 'LLM' that writes a fixed answer word by word and records what it was given."""

    name = "scripted"
    streams = True

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[tuple[str, list]] = []

    def stream(self, question, passages):
        self.calls.append((question, passages))
        for i, word in enumerate(self.answer.split(" ")):
            yield word if i == 0 else " " + word

    def generate(self, question, passages):
        from rag.generators.base import finish_generation

        return finish_generation("".join(self.stream(question, passages)))
