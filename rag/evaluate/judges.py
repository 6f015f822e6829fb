"""Faithfulness judges: does the evidence support a claim?

A judge returns a `Verdict` (score in [0, 1], supported or not). Three kinds:
- `OverlapJudge` (offline, always available): the claim's content words, numbers and names found
  in the evidence, and embedding similarity to the best evidence sentence.
- `LLMJudge`: the local or hosted generator's model with the fixed prompt `rag/prompts/judge.md`, greedy.
- `NLIJudge`: a sentence-transformers CrossEncoder NLI model from a path (entailment probability).
- `VerifierJudge`: our own claim verifier (`rag.models.verifier`), its support score with the question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from rag.answer.prompts import fence, load_prompt
from rag.config import JUDGES
from rag.errors import ConfigError, ModelNotFoundError
from rag.mentions import names_name, numbers
from rag.models.embedders import Embedder
from rag.text import content_words, split_sentences
from rag.types import Chunk

__all__ = ["Verdict", "Judge", "OverlapJudge", "LLMJudge", "NLIJudge", "VerifierJudge", "overlap_features", "JUDGES"]

_NAME = re.compile(r"\b[A-Z][a-zA-Z\-']+")


@dataclass(frozen=True)
class Verdict:
    score: float
    supported: bool


class Judge(Protocol):
    """Judges a claim against evidence; `question` is the question the claim answers, when known,
    and `whole_answer` says whether the claim is all of the answer or one sentence of several
    (only the verifier reads them)."""

    name: str

    def judge(
        self, claim: str, evidence: Sequence[Evidence], question: str = "", whole_answer: bool = True
    ) -> Verdict: ...


def _names(text: str) -> set[str]:
    words = text.split()
    first = words[0] if words else ""
    return {m for m in _NAME.findall(text) if m != first and m != "I"}


def _share(needed: set[str], found: set[str]) -> float | None:
    return len(needed & found) / len(needed) if needed else None


# A passage to judge a claim against: one of ours, whose sentences were found when it was indexed,
# or plain text from any other system (split here, once).
Evidence = str | Chunk


def evidence_texts(evidence: Sequence[Evidence]) -> list[str]:
    return [e if isinstance(e, str) else e.text for e in evidence]


def evidence_sentences(evidence: Sequence[Evidence]) -> list[str]:
    """The evidence's sentences: a chunk's stored spans, or plain text split."""
    return [s.text for e in evidence for s in (split_sentences(e) if isinstance(e, str) else e.sentences)]


def overlap_features(claim: str, evidence: Sequence[Evidence]) -> dict[str, float | None]:
    """Lexical evidence features of a claim (no model): shares of its content words, numbers and
    names found in the evidence, and its content-word share in the best window of two sentences."""
    joined = "\n".join(evidence_texts(evidence))
    words = content_words(claim)
    ev_words = content_words(joined)
    sentences = evidence_sentences(evidence) or [joined]
    window_best = 0.0
    if words:
        for i in range(len(sentences)):
            window = content_words(" ".join(sentences[i : i + 2]))
            window_best = max(window_best, len(words & window) / len(words))
    names = _names(claim)
    return {
        "words": _share(words, ev_words),
        "window": window_best if words else None,
        "numbers": _share(numbers(claim), numbers(joined)),
        "names": (sum(1 for n in names if names_name(n, joined)) / len(names)) if names else None,
    }


# Tuned on HaluEval QA items 0-249 (eval/calibrate_judges.py); measured on items 250-499.
DEFAULT_WEIGHTS = {"words": 0.25, "window": 0.25, "numbers": 0.2, "names": 0.1, "similarity": 0.2}
DEFAULT_THRESHOLD = 0.75


class OverlapJudge:
    """Evidence-overlap judge: a weighted mean of the defined features, supported above a threshold.

    Example:
        >>> judge = OverlapJudge(embedder)
        >>> judge.judge("The Yangtze flows for 6,300 km.", ["It flows for 6,300 kilometres."]).supported
    """

    name = "overlap"

    def __init__(
        self,
        embedder: Embedder | None,
        threshold: float = DEFAULT_THRESHOLD,
        weights: dict[str, float] | None = None,
    ) -> None:
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        self.embedder = embedder
        self.threshold = threshold
        self.weights = dict(weights or DEFAULT_WEIGHTS)
        if self.embedder is None:
            self.weights["similarity"] = 0.0

    def similarity(self, claim: str, evidence: Sequence[Evidence]) -> float | None:
        """Cosine similarity (clipped to [0, 1]) of the claim and the best evidence sentence."""
        if self.embedder is None:
            return None
        sentences = evidence_sentences(evidence)
        if not sentences:
            return None
        vectors = self.embedder.embed_documents(sentences)
        query = self.embedder.embed_documents([claim])[0]
        return max(0.0, min(1.0, float((vectors @ query).max())))

    def score(self, features: dict[str, float | None]) -> float:
        total = weight = 0.0
        for key, w in self.weights.items():
            value = features.get(key)
            if value is not None and w > 0:
                total += w * value
                weight += w
        return total / weight if weight else 0.0

    def judge(self, claim: str, evidence: Sequence[Evidence], question: str = "", whole_answer: bool = True) -> Verdict:
        if not claim.strip() or not any(e.strip() for e in evidence_texts(evidence)):
            return Verdict(0.0, False)
        features = overlap_features(claim, evidence)
        features["similarity"] = self.similarity(claim, evidence) if self.weights.get("similarity") else None
        score = round(self.score(features), 6)
        return Verdict(score, score >= self.threshold)


class LLMJudge:
    """Ask a chat model whether the evidence supports the claim (prompt `rag/prompts/judge.md`).

    Args:
        complete: sends chat messages to the model (greedy) and returns its reply text.
        name: shown in reports, e.g. "llm:local".
    """

    def __init__(self, complete: Callable[[list[dict[str, str]]], str], name: str = "llm") -> None:
        self.complete = complete
        self.name = name
        self.template = load_prompt("judge")

    def messages(self, claim: str, evidence: Sequence[str]) -> list[dict[str, str]]:
        passages = "\n\n".join(fence(e) for e in evidence)
        return [{"role": "user", "content": self.template.replace("{evidence}", passages).replace("{claim}", claim)}]

    def judge(self, claim: str, evidence: Sequence[Evidence], question: str = "", whole_answer: bool = True) -> Verdict:
        evidence = evidence_texts(evidence)
        if not claim.strip() or not any(e.strip() for e in evidence):
            return Verdict(0.0, False)
        reply = self.complete(self.messages(claim, evidence)).strip().upper()
        supported = reply.startswith("SUPPORTED") or (reply.startswith("YES"))
        return Verdict(1.0 if supported else 0.0, supported)


# A verdict is one word ("SUPPORTED" / "UNSUPPORTED"); a few tokens hold it.
_VERDICT_TOKENS = 4


def local_completion(settings) -> Callable[[list[dict[str, str]]], str]:
    """Greedy chat completion with the local GGUF model of `settings` (loaded on first call)."""
    from rag.models.local_llm import LocalLLM

    llm = LocalLLM.from_settings(settings)
    return lambda messages: llm.complete(messages, max_tokens=_VERDICT_TOKENS)


def hosted_completion(settings) -> Callable[[list[dict[str, str]]], str]:
    """Greedy chat completion at the hosted OpenAI-compatible endpoint of `settings`, through the
    client the hosted generator uses (retries, Retry-After, the API key masked in errors)."""
    from rag.models.openai_client import ChatClient

    client = ChatClient.from_settings(settings, what="hosted judge")
    return lambda messages: client.complete(messages, max_tokens=_VERDICT_TOKENS, temperature=0.0).text


class NLIJudge:
    """Entailment probability of (evidence, claim) from a CrossEncoder NLI model.

    Args:
        model_path: a local directory with a sentence-transformers CrossEncoder NLI model whose
            config names an "entailment" label.
        threshold: supported when the entailment probability reaches it.
        model: an already loaded model (tests); loaded from `model_path` on first use otherwise.
    """

    name = "nli"

    def __init__(self, model_path: str | None, threshold: float = 0.5, model=None) -> None:
        if model is None and not model_path:
            raise ConfigError("the nli judge needs a CrossEncoder NLI model: pass --nli-model PATH")
        self.model_path = model_path
        self.threshold = threshold
        self._model = model

    def _load(self):
        if self._model is None:
            from sentence_transformers import CrossEncoder

            try:
                self._model = CrossEncoder(self.model_path, device="cpu")
            except Exception as exc:  # many kinds for a missing or broken model
                raise ModelNotFoundError(f"cannot load NLI model {self.model_path!r} ({type(exc).__name__})") from None
        return self._model

    def _entailment_index(self, model) -> int:
        labels = {int(k): str(v).lower() for k, v in model.config.id2label.items()}
        for index, label in labels.items():
            if label.startswith("entail"):
                return index
        raise ModelNotFoundError(f"NLI model {self.model_path!r} has no 'entailment' label ({sorted(labels.values())})")

    def judge(self, claim: str, evidence: Sequence[Evidence], question: str = "", whole_answer: bool = True) -> Verdict:
        evidence = evidence_texts(evidence)
        if not claim.strip() or not any(e.strip() for e in evidence):
            return Verdict(0.0, False)
        import numpy as np

        model = self._load()
        logits = np.asarray(model.predict([("\n".join(evidence), claim)]), dtype=np.float64).reshape(1, -1)[0]
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        score = round(float(probs[self._entailment_index(model)]), 6)
        return Verdict(score, score >= self.threshold)


class VerifierJudge:
    """Our claim verifier: the best P(supported) of the evidence passages (or of them read together).

    Args:
        verifier: a `rag.models.verifier.Verifier` (its model loads on first use).
    """

    name = "verifier"

    def __init__(self, verifier) -> None:
        self.verifier = verifier

    def judge(self, claim: str, evidence: Sequence[Evidence], question: str = "", whole_answer: bool = True) -> Verdict:
        support = self.verifier.support(claim, evidence_texts(evidence), question, whole_answer)
        return Verdict(support.score, support.supported)

    def prepare(self, claims: Sequence[tuple[str, Sequence[Evidence]]]) -> None:
        """Encode the texts of the claims about to be judged in one batch."""
        self.verifier.prepare([(claim, evidence_texts(evidence)) for claim, evidence in claims])


def create_judge(name: str, settings, embedder: Embedder | None, nli_model: str | None = None) -> Judge:
    """The judge called `name` ("overlap", "verifier", "llm" or "nli"); "llm" uses the hosted model
    when the generator setting is "hosted", else the local one."""
    if name == "verifier":
        from rag.models.verifier import create_verifier

        return VerifierJudge(create_verifier(settings.verifier))
    if name == "overlap":
        # The weights and threshold calibrated on HaluEval, so the report's calibration figures
        # describe the judge that produced its scores.
        from rag.evaluate.calibration_store import load_calibration

        calibrated = load_calibration().get("overlap", {})
        if calibrated.get("weights") and calibrated.get("threshold") is not None:
            return OverlapJudge(embedder, threshold=calibrated["threshold"], weights=calibrated["weights"])
        return OverlapJudge(embedder)
    if name == "llm":
        if settings.generator == "hosted":
            return LLMJudge(hosted_completion(settings), name="llm:hosted")
        return LLMJudge(local_completion(settings), name="llm:local")
    if name == "nli":
        return NLIJudge(nli_model)
    raise ConfigError(f"unknown judge {name!r}; choose one of {', '.join(JUDGES)}")
