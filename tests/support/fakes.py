"""Small fakes shared by the tests: a deterministic hash embedder (Haystack's MockTextEmbedder)
and a scripted streaming generator (simonw/llm's MockModel)."""

from __future__ import annotations

import hashlib
import re

import numpy as np

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


class ScriptedGenerator:
    """A streaming 'LLM' that writes a fixed answer word by word and records what it was given."""

    name = "scripted"
    streams = True
    gates_refusal = False

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.calls: list[tuple[str, list]] = []

    def warm_up(self) -> None:
        pass

    def stream(self, question, passages):
        self.calls.append((question, passages))
        for i, word in enumerate(self.answer.split(" ")):
            yield word if i == 0 else " " + word

    def generate(self, question, passages):
        from rag.answer.generators.base import finish_generation

        return finish_generation("".join(self.stream(question, passages)))


class KeywordReranker:
    """A cross-encoder stand-in: a passage's logit is the number of `keywords` it contains
    (minus `penalty` when it has none), and the pairs it read are recorded."""

    name = "keyword-reranker"

    def __init__(self, keywords: tuple[str, ...], penalty: float = 5.0) -> None:
        self.keywords = tuple(k.lower() for k in keywords)
        self.penalty = penalty
        self.pairs: list[tuple[str, str]] = []

    def score(self, query: str, passages):
        self.pairs.extend((query, p) for p in passages)
        counts = [sum(k in p.lower() for k in self.keywords) for p in passages]
        return np.array([c if c else -self.penalty for c in counts], dtype=np.float32)


class WordVerifier:
    """A claim-verifier stand-in: supported when `share` of the claim's words are in one passage;
    the (claim, passages) it read are recorded."""

    name = "word-verifier"
    threshold = 0.5

    def __init__(self, share: float = 0.8) -> None:
        self.share = share
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.whole_answers: list[bool] = []

    def support(self, claim, passages, question="", whole_answer=True):
        from rag.models.verifier import Support

        self.calls.append((claim, tuple(passages)))
        self.whole_answers.append(whole_answer)
        words = set(_WORD.findall(claim.lower()))
        best, best_index = 0.0, None
        for index, passage in enumerate(passages):
            found = len(words & set(_WORD.findall(passage.lower()))) / max(1, len(words))
            if best_index is None or found > best:
                best, best_index = found, index
        return Support(round(best, 6), best >= self.share, best_index)

    def support_all(self, claims, question="", whole_answer=True):
        return [self.support(claim, passages, question, whole_answer) for claim, passages in claims]
