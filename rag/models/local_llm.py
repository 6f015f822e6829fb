"""The local chat model: a GGUF file run by llama-cpp-python on the CPU, loaded on first use.

`LocalLLM` is the one place a `llama_cpp.Llama` is made; the local generator streams answers
through it and the local judge asks it for a verdict (`complete`). llama.cpp contexts are not
thread-safe, so every use holds the model's lock (`session`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.config import Settings
from rag.errors import ModelNotFoundError
from rag.models.gguf import resolve_gguf

__all__ = ["LocalLLM"]


class LocalLLM:
    """A GGUF chat model, greedy and deterministic (seed 0), loaded on first use.

    Args:
        model_path: the .gguf file.
        n_threads: CPU threads; None uses all cores.
        n_ctx: context window in tokens (prompt + answer).

    Example:
        >>> llm = LocalLLM.from_settings(load_settings())
        >>> llm.complete([{"role": "user", "content": "Say yes."}], max_tokens=4)  # doctest: +SKIP
        'Yes.'
    """

    def __init__(self, model_path: str | Path, n_threads: int | None = None, n_ctx: int = 4096) -> None:
        if n_ctx < 256:
            raise ValueError(f"n_ctx must be at least 256, got {n_ctx}")
        self.model_path = Path(model_path)
        self.n_threads = n_threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self._llm: Any = None
        # llama.cpp contexts are not thread-safe; one request at a time per model.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalLLM:
        """The model named by `settings.local_model` (a packaged model is joined into the cache once)."""
        path = resolve_gguf(settings.local_model, Path(settings.model_cache_dir).expanduser() / "models")
        return cls(path, n_threads=settings.n_threads or None, n_ctx=settings.n_ctx)

    @contextmanager
    def session(self) -> Iterator[Any]:
        """Hold the model for one request: yields the loaded `llama_cpp.Llama` under the lock."""
        with self._lock:
            yield self._load()

    def load(self) -> None:
        """Load the model now (it otherwise loads on first use)."""
        with self.session():
            pass

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        """The model's greedy reply to chat `messages`, at most `max_tokens` tokens."""
        with self.session() as llm:
            out = llm.create_chat_completion(messages=messages, temperature=0.0, top_k=1, max_tokens=max_tokens)
        return out["choices"][0]["message"].get("content") or ""

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in the model's vocabulary (no BOS)."""
        with self.session() as llm:
            return len(llm.tokenize(text.encode(), add_bos=False))

    def _load(self) -> Any:
        if self._llm is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelNotFoundError(
                    "the local generator needs llama-cpp-python: pip install -e '.[local]'"
                ) from None
            if not self.model_path.is_file():
                raise ModelNotFoundError(f"local model file {self.model_path} does not exist")
            from rag.models.llama_amx import without_amx_repack

            try:
                with without_amx_repack():
                    self._llm = Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        seed=0,
                        verbose=False,
                    )
            except (ValueError, RuntimeError) as exc:
                raise ModelNotFoundError(f"cannot load {self.model_path} ({exc})") from None
        return self._llm
