"""Local LLM generator: a GGUF model run by llama-cpp-python on the CPU, greedy and streaming."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from rag.errors import ModelNotFoundError
from rag.generators.base import Generation, finish_generation
from rag.prompts import build_messages
from rag.types import REFUSAL_TEXT, Hit

__all__ = ["LocalGenerator"]

log = logging.getLogger(__name__)


class LocalGenerator:
    """Answer with a local GGUF chat model (loaded on first use).

    Args:
        model_path: the .gguf file.
        n_threads: CPU threads; None uses all cores.
        n_ctx: context window in tokens (prompt + answer).
        max_tokens: longest answer.

    Example:
        >>> gen = LocalGenerator(resolve_gguf("qwen2.5-coder-1.5b-instruct-q4_k_m", cache_dir))
        >>> gen.generate("Who leads the NDRC?", hits).text
    """

    name = "local"
    streams = True

    def __init__(
        self, model_path: str | Path, n_threads: int | None = None, n_ctx: int = 4096, max_tokens: int = 256
    ) -> None:
        if n_ctx < 256:
            raise ValueError(f"n_ctx must be at least 256, got {n_ctx}")
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        self.model_path = Path(model_path)
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self._llm = None
        # llama.cpp contexts are not thread-safe; one request at a time per model.
        self._lock = threading.Lock()

    def _model(self):
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelNotFoundError(
                    "the local generator needs llama-cpp-python: pip install -e '.[local]'"
                ) from None
            if not self.model_path.is_file():
                raise ModelNotFoundError(f"local model file {self.model_path} does not exist")
            try:
                self._llm = Llama(
                    model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads, seed=0, verbose=False
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelNotFoundError(f"cannot load {self.model_path} ({exc})") from None
        return self._llm

    def stream(self, question: str, passages: list[Hit]) -> Iterator[str]:
        if not passages:
            yield REFUSAL_TEXT
            return
        messages = build_messages(question, passages)
        with self._lock:
            llm = self._model()
            # Greedy decoding: the same question on the same index gives the same answer.
            # llama.cpp reuses the KV cache for the longest common prefix (the system prompt).
            for chunk in llm.create_chat_completion(
                messages=messages, temperature=0.0, top_k=1, max_tokens=self.max_tokens, stream=True
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        return finish_generation("".join(self.stream(question, passages)))
