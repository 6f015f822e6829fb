"""Local LLM generator: a GGUF model run by llama-cpp-python on the CPU, greedy and streaming."""

from __future__ import annotations

import logging

import numpy as np

from rag.answer.generators.base import Generation, Streamed, TextStream, Usage, finish_generation
from rag.answer.prompts import build_messages
from rag.config import Settings
from rag.models.local_llm import LocalLLM
from rag.types import REFUSAL_TEXT, Chunk, Hit

__all__ = ["LocalGenerator"]

log = logging.getLogger(__name__)


def _usage(before, after, completion_tokens: int) -> Usage:
    """Token counts of one answer from the model's context before and after it."""
    common = 0
    for old, new in zip(before, after, strict=False):
        if old != new:
            break
        common += 1
    # Streamed chunks are one token each, plus a first role-only and a last finish-only chunk.
    generated = max(completion_tokens - 2, 0)
    prompt = max(len(after) - generated, 0)
    return {"prompt_tokens": prompt, "cached_tokens": min(common, prompt), "completion_tokens": generated}


class _RefusalGate:
    """A llama.cpp logits processor that decides, at the answer's first token, between the fixed
    refusal sentence and an answer: refuse when the model gives the refusal's first token at
    least `threshold` probability. 0 leaves greedy decoding as it is (refuse when that token is
    the most likely one). The probability is recorded either way.
    """

    def __init__(self, token: int, threshold: float) -> None:
        self.token = token
        self.threshold = threshold
        self.probability: float | None = None
        self.refuse = False

    def __call__(self, input_ids, scores):
        if self.probability is not None:
            return scores
        logits = np.asarray(scores, dtype=np.float64)
        weights = np.exp(logits - logits.max())
        self.probability = float(weights[self.token] / weights.sum())
        if self.threshold > 0:
            self.refuse = self.probability >= self.threshold
            if not self.refuse:
                scores[self.token] = -np.inf
        return scores


_WARM_UP_PASSAGE = Hit(
    chunk=Chunk(
        chunk_id="warm-up:0", doc_id="warm-up", source="warm-up", title="warm-up", text="Warm.", start=0, end=5
    ),
    score=1.0,
    rank=1,
)


class LocalGenerator:
    """Answer with a local GGUF chat model (`rag.models.local_llm.LocalLLM`, loaded on first use).

    Args:
        llm: the model.
        max_tokens: longest answer.
        refusal_threshold: refuse when the refusal sentence's first token gets at least this
            probability at the answer's start (0: greedy decoding decides).

    Example:
        >>> gen = LocalGenerator.from_settings(load_settings())
        >>> gen.generate("Who leads the NDRC?", hits).text
    """

    name = "local"
    streams = True
    # The pipeline may set the refusal threshold per question (`rag.answer.refusal.threshold_for`).
    gates_refusal = True

    def __init__(self, llm: LocalLLM, max_tokens: int = 256, refusal_threshold: float = 0.0) -> None:
        if max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
        if not 0.0 <= refusal_threshold < 1.0:
            raise ValueError(f"refusal_threshold must be in [0, 1), got {refusal_threshold}")
        self.llm = llm
        self.max_tokens = max_tokens
        self.refusal_threshold = refusal_threshold
        self._refusal_token_id: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalGenerator:
        """The generator for `settings.local_model` with the settings' answer length and threshold."""
        return cls(
            LocalLLM.from_settings(settings),
            max_tokens=settings.max_tokens,
            refusal_threshold=settings.refusal_threshold,
        )

    def stream(self, question: str, passages: list[Hit], refusal_threshold: float | None = None) -> TextStream:
        """Stream the answer, then return its `Usage` (token counts and the refusal probability).
        `refusal_threshold` overrides the generator's own for this answer."""
        if not passages:
            yield REFUSAL_TEXT
            return {}
        messages = build_messages(question, passages)
        with self.llm.session() as llm:
            before = llm.input_ids[: llm.n_tokens].copy()
            completion_tokens = 0
            threshold = self.refusal_threshold if refusal_threshold is None else refusal_threshold
            gate = _RefusalGate(self._refusal_token(llm), threshold)
            # Greedy decoding: the same question on the same index gives the same answer.
            # llama.cpp reuses the KV cache for the longest common prefix (the system prompt),
            # so everything fixed comes before the passages.
            for chunk in llm.create_chat_completion(
                messages=messages,
                temperature=0.0,
                top_k=1,
                max_tokens=self.max_tokens,
                stream=True,
                logits_processor=[gate],
            ):
                completion_tokens += 1
                if gate.refuse:
                    # The decision is made on the first token; the sentence itself is fixed.
                    yield REFUSAL_TEXT
                    break
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
            after = llm.input_ids[: llm.n_tokens]
            usage = _usage(before, after, completion_tokens)
            if gate.probability is not None:
                usage["refusal_probability"] = round(gate.probability, 4)
        return usage

    def _refusal_token(self, llm) -> int:
        """The token the refusal sentence starts with, as the model writes it at an answer's start."""
        if self._refusal_token_id is None:
            self._refusal_token_id = llm.tokenize(REFUSAL_TEXT.encode(), add_bos=False)[0]
        return self._refusal_token_id

    def warm_up(self) -> None:
        """Load the model and read the fixed system prompt into its cache, so the first
        question only pays for its own passages."""
        pieces = self.stream("Is this a warm-up?", [_WARM_UP_PASSAGE])
        next(pieces, None)
        pieces.close()

    def generate(self, question: str, passages: list[Hit]) -> Generation:
        pieces = Streamed(self.stream(question, passages))
        generation = finish_generation("".join(pieces))
        return Generation(generation.text, generation.refused, generation.notes, generation.no_answer, pieces.usage)
