"""`rag` exactly as installed, but with the hash embedder from conftest, for kill-loop tests.

    python -m tests.support.fake_rag index PATHS...      (same arguments as `rag`)

Every module that creates an embedder gets `HashEmbedder` instead of sentence-transformers, so a
process starts in about a second and its run can be killed at any point of the real code path
(discover, chunk, embed, write a generation, switch CURRENT). `RAG_FAKE_EMBED_DELAY` (seconds per
batch of texts), `RAG_FAKE_IO_DELAY` (seconds before each fsync and os.replace) and
`RAG_FAKE_ASK_DELAY` (seconds per question) stretch a run so kills land inside every phase.
"""

from __future__ import annotations

import os
import sys
import time

from tests.support.fakes import HashEmbedder
from tests.support.paths import REPO

# The environment a test runs `python -m tests.support.fake_rag` with: offline, the hash embedder, short
# chunks, and no score gates (the hash embedder's similarities are not calibrated).
FAKE_RAG_ENV = {
    **os.environ,
    "PYTHONPATH": str(REPO),
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "RAG_EMBEDDER": "test-hash-embedder",
    "RAG_CHUNK_SIZE": "30",
    "RAG_CHUNK_OVERLAP": "5",
    "RAG_MIN_SCORE": "0",
    "RAG_MIN_SENTENCE_SCORE": "0",
}


class SlowHashEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.delay = float(os.environ.get("RAG_FAKE_EMBED_DELAY", "0"))

    def embed_documents(self, texts, show_progress=False):
        out = []
        for start in range(0, len(texts), 32):
            if self.delay:
                time.sleep(self.delay)
            out.append(super().embed_documents(texts[start : start + 32]))
        import numpy as np

        return np.concatenate(out) if out else super().embed_documents([])


def _fake_create_embedder(name, batch_size=32, device="cpu", threads=0):
    return SlowHashEmbedder()


def main(argv: list[str] | None = None) -> int:
    import rag.answer.pipeline
    import rag.ingest.update
    import rag.models.embedders
    from rag.serve import cli

    for module in (rag.models.embedders, rag.ingest.update, rag.answer.pipeline):
        module.create_embedder = _fake_create_embedder
    io_delay = float(os.environ.get("RAG_FAKE_IO_DELAY", "0"))
    if io_delay:  # widen the window between writing a generation and switching CURRENT
        real_replace, real_fsync = os.replace, os.fsync

        def slow_replace(*args, **kwargs):
            time.sleep(io_delay)
            return real_replace(*args, **kwargs)

        def slow_fsync(fd):
            time.sleep(io_delay)
            return real_fsync(fd)

        os.replace, os.fsync = slow_replace, slow_fsync
    ask_delay = float(os.environ.get("RAG_FAKE_ASK_DELAY", "0"))
    if ask_delay:
        real_ask = rag.answer.pipeline.RagPipeline.ask

        def slow_ask(self, *args, **kwargs):
            time.sleep(ask_delay)
            return real_ask(self, *args, **kwargs)

        rag.answer.pipeline.RagPipeline.ask = slow_ask
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
