"""Shared fixtures: the fakes of tests/support/fakes.py, and small corpora under tmp_path."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from rag.config import Settings, load_settings  # noqa: E402
from tests.support.fakes import HashEmbedder, ScriptedGenerator  # noqa: E402,F401
from tests.support.paths import REPO, SEEDS, SHARED_DATA  # noqa: E402,F401


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
            # Unit tests rank sentences with the fake embedder alone; the packaged cross-encoder
            # is exercised by the slow tests.
            "sentence_reranker": "",
            # Likewise the verifier: tests/answer/test_verification.py injects a fake, the system
            # tests run the shipped one.
            "verify_answers": False,
        },
    )
