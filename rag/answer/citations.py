"""Parse `[n]` markers in an answer and resolve them to the passages they point to.

- `[1]`, `[1, 3]` and `[1][3]` are understood.
- Markers outside 1..len(passages) are dropped from the text and reported, never resolved to
  some other passage.
- Sources are renumbered in order of first use, so an answer reads [1], [2], ...
- Answer sentences left without any citation are flagged.
- `repair_citations`: a sentence whose cited passage does not hold it, but another passage does
  word for word, is pointed at that passage (small LLMs often write the right sentence with the
  wrong number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.mentions import numbers
from rag.text import MARKER, SPACE_BEFORE_PUNCT, content_words, marker_numbers, split_sentences, strip_markers
from rag.types import Citation, Hit

__all__ = ["CitedAnswer", "MARKER", "answer_sentences", "parse_markers", "repair_citations", "resolve_citations"]

# MARKER (rag.text): [1]  [1, 3]  [1,3]  — a group of numbers in one pair of brackets.
_LEADING_MARKERS = re.compile(rf"^(?:\s*{MARKER.pattern})+")


@dataclass(frozen=True)
class CitedAnswer:
    text: str
    citations: tuple[Citation, ...]
    notes: tuple[str, ...]
    uncited: tuple[str, ...]
    # Marker numbers dropped because no passage has them, in the order they appeared.
    removed: tuple[int, ...] = ()


def parse_markers(group: str) -> list[int]:
    """The numbers inside one bracket group, e.g. "1, 3" -> [1, 3]."""
    return marker_numbers(f"[{group}]")


def answer_sentences(text: str) -> list[str]:
    """Sentences of an answer, with markers written after the full stop ("... end. [2]")
    kept with the sentence they follow."""
    sentences: list[str] = []
    for sentence in split_sentences(text):
        for part in _AFTER_MARKER.split(sentence.text):
            leading = _LEADING_MARKERS.match(part)
            if leading and sentences:
                sentences[-1] += " " + leading.group(0).strip()
                part = part[leading.end() :].strip()
            if part:
                sentences.append(part)
    return sentences


# A marker followed by a capitalised word ends a sentence without a full stop: a quoted heading
# ("China sets a goal for the next 5 years [1] It is the first time …").
_AFTER_MARKER = re.compile(r"(?<=\])\s+(?=[A-Z][a-z]|[“\"‘'][A-Z])")


def _quote(sentence: str, hit: Hit) -> tuple[str, int]:
    """The passage text a sentence relies on: itself if quoted verbatim, else the passage sentence
    sharing most content words with it, else the whole passage; with its document offset."""
    chunk = hit.chunk
    offset = chunk.text.find(sentence) if sentence else -1
    if offset >= 0:
        return sentence, chunk.start + offset
    words = content_words(sentence)
    best, best_overlap = None, 0.0
    for candidate in chunk.sentences:
        cand_words = content_words(candidate.text)
        if not words or not cand_words:
            continue
        overlap = len(words & cand_words) / len(words | cand_words)
        if overlap > best_overlap:
            best, best_overlap = candidate, overlap
    if best is None:
        return chunk.text, chunk.start
    return best.text, chunk.start + best.start


def resolve_citations(text: str, passages: list[Hit]) -> CitedAnswer:
    """Check and resolve the `[n]` markers of `text` against the numbered `passages`."""
    notes: list[str] = []
    removed: list[int] = []
    renumber: dict[int, int] = {}

    def rewrite(match: re.Match) -> str:
        kept = []
        for n in parse_markers(match.group(1)):
            if not 1 <= n <= len(passages):
                notes.append(f"removed citation [{n}]: there are {len(passages)} passages")
                removed.append(n)
                continue
            new = renumber.setdefault(n, len(renumber) + 1)
            if new not in kept:
                kept.append(new)
        return "".join(f"[{m}]" for m in kept)

    cleaned = MARKER.sub(rewrite, text)
    cleaned = re.sub(r"(\[\d+\])(?:\1)+", r"\1", cleaned)  # [1][1] -> [1]
    cleaned = SPACE_BEFORE_PUNCT.sub("", cleaned).strip()
    by_new = {new: old for old, new in renumber.items()}
    citations: dict[tuple[int, str], Citation] = {}
    uncited: list[str] = []
    for sentence in answer_sentences(cleaned):
        bare = strip_markers(sentence)
        markers = marker_numbers(sentence)
        if not markers:
            if content_words(bare):
                uncited.append(bare)
            continue
        for marker in markers:
            hit = passages[by_new[marker] - 1]
            quote, start = _quote(bare, hit)
            if (marker, quote) in citations:
                continue
            citations[(marker, quote)] = Citation(
                marker=marker,
                chunk_id=hit.chunk.chunk_id,
                doc_id=hit.chunk.doc_id,
                source=hit.chunk.source,
                title=hit.chunk.title,
                passage=hit.chunk.text,
                quote=quote,
                quote_start=start,
                quote_end=start + len(quote),
                page=hit.chunk.page_at(start),
                last_page=hit.chunk.page_at(start + len(quote) - 1),
                page_label=hit.chunk.page_label,
            )
    for sentence in uncited:
        notes.append(f"sentence without a citation: {sentence[:80]}")
    ordered = sorted(citations.values(), key=lambda c: c.marker)
    return CitedAnswer(cleaned, tuple(ordered), tuple(notes), tuple(uncited), tuple(removed))


# A passage that holds less than this share of a sentence's content words does not state it; one
# that holds at least _HOLDS_ALL of them, and every number, does. Sentences of fewer than
# _REPAIR_MIN_WORDS content words are left alone: too little to tell passages apart.
_HOLDS_FEW = 0.5
_HOLDS_ALL = 0.8
_REPAIR_MIN_WORDS = 3


def repair_citations(text: str, passages: list[Hit]) -> tuple[str, tuple[str, ...]]:
    """`text` (markers numbered as the passages) with each sentence whose cited passages hold few
    of its words re-pointed at the one other passage that holds nearly all of them and its
    numbers; a note per repair. Sentences that no passage states are left as they are, for the
    checks that follow to flag."""
    notes: list[str] = []
    held_words = [content_words(hit.chunk.text) for hit in passages]
    held_numbers = [numbers(hit.chunk.text) for hit in passages]
    for sentence in answer_sentences(text):
        cited = [n for n in marker_numbers(sentence) if 1 <= n <= len(passages)]
        claim = strip_markers(sentence)
        words, claim_numbers = content_words(claim), numbers(claim)
        if not cited or len(words) < _REPAIR_MIN_WORDS or sentence not in text:
            continue

        share = [
            len(words & held) / len(words) if claim_numbers <= held_number else 0.0
            for held, held_number in zip(held_words, held_numbers, strict=True)
        ]
        if max(share[n - 1] for n in cited) >= _HOLDS_FEW:
            continue
        others = [n for n in range(1, len(passages) + 1) if n not in cited and share[n - 1] >= _HOLDS_ALL]
        if not others:
            continue
        best = max(others, key=lambda n: (share[n - 1], -n))
        first = MARKER.search(sentence)
        assert first is not None
        repaired = sentence[: first.start()] + f"[{best}]" + MARKER.sub("", sentence[first.end() :])
        repaired = SPACE_BEFORE_PUNCT.sub("", repaired)
        text = text.replace(sentence, repaired, 1)
        notes.append(
            f"a citation moved to retrieved passage {best} ({passages[best - 1].chunk.source}): it states "
            f"the sentence, the passage the model cited ({', '.join(str(n) for n in cited)}) does not"
        )
    return text, tuple(notes)
