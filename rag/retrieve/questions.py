"""What a question asks the search for: a follow-up made standalone, a several-part question split.

**Follow-ups.**
"What did he say about chips?" after "Who is the chief economist at CITIC Securities?" cannot be
retrieved on its own. A follow-up (very short, or a pronoun with no named subject of its own) is
searched together with the latest earlier question that stood on its own; a standalone question
is left as it is.

**Several parts.** "How much did investment in high-tech manufacturing grow, and who said so?"
asks two things; an answer that covers the first and drops the second looks complete.
`question_parts` splits such a question where a new question word starts a clause (", and
who…", "? And when…", "; …"). How each part is scored and whether a sentence answers it is
`rag.answer.answering`'s call (`search_text`, `own_words`, `unmet_need`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import content_words

__all__ = ["looks_like_follow_up", "standalone_query", "question_parts"]

_WORDS = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")
# "that" is left out: it is mostly a conjunction ("which article says that ...").
_PRONOUNS = frozenset("he she it they this these those his her hers him them their theirs its".split())
_SHORT = 3


def looks_like_follow_up(question: str) -> bool:
    """Whether a question leans on the previous turn: very short, or a pronoun with no named subject."""
    words = _WORDS.findall(question)
    if not words:
        return False
    if len(words) <= _SHORT:
        return True
    if not {w.lower() for w in words} & _PRONOUNS:
        return False
    named = [w for w in words[1:] if (w[0].isupper() or w[0].isdigit()) and w.lower() not in _PRONOUNS and w != "I"]
    return not named


def standalone_query(question: str, history: Sequence[str]) -> str | None:
    """The query to retrieve with, or None when the question already stands alone.

    Args:
        question: the new user question.
        history: earlier user questions in the conversation, oldest first.

    Example:
        >>> standalone_query("What did he say?", ["Who is the chief economist at CITIC Securities?"])
        'Who is the chief economist at CITIC Securities? What did he say?'
    """
    previous = [" ".join(h.split()) for h in history if h and h.strip()]
    question = " ".join(question.split())
    if not previous or not looks_like_follow_up(question):
        return None
    anchor = next((q for q in reversed(previous) if not looks_like_follow_up(q)), previous[-1])
    return f"{anchor} {question}"


# ---- questions that ask several things

_QUESTION_WORD = (
    r"(?:who|whom|whose|what|when|where|why|how|which|did|does|do|is|are|was|were|has|have|had|can|could|"
    r"will|would|should)\b"
)
_PREPOSITION = r"(?:(?:at|in|on|for|from|with|by|to|toward|towards|of|under|during|about|after|before|into)\s+)?"
# Where a second question starts inside one sentence: ", and who…", " and at what…", "; what…".
_CLAUSE = re.compile(
    rf"(?:,\s*|\s+)(?:and|but)\s+(?:also\s+)?(?={_PREPOSITION}{_QUESTION_WORD})"
    rf"|;\s*(?:and\s+)?(?={_PREPOSITION}{_QUESTION_WORD})",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=\?)\s+")
_OPENING = re.compile(
    r"^(?:(?:and|also|but|plus|then)\b[\s,]*)*(?:(?:i'?d|i would|i also|i)\s+(?:also\s+)?(?:like|want) to know\s+"
    r"|(?:can|could) you (?:also )?tell me\s+|tell me\s+)?",
    re.IGNORECASE,
)
_STARTS_LIKE_A_QUESTION = re.compile(rf"^\W*{_PREPOSITION}(?:{_QUESTION_WORD}|name|list|give|describe)", re.I)


def _clean(part: str) -> str:
    part = _OPENING.sub("", part.strip(" ,;")).strip()
    if not part:
        return ""
    part = part[0].upper() + part[1:]
    return part if part.endswith("?") else part.rstrip(".!") + "?"


def question_parts(question: str) -> tuple[str, ...]:
    """The separate questions in `question`, each ending in "?"; a question that asks one thing
    comes back as a single part (unchanged)."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(question.strip()):
        start = 0
        for match in _CLAUSE.finditer(sentence):
            pieces.append(sentence[start : match.start()])
            start = match.end()
        pieces.append(sentence[start:])
    parts = [_clean(piece) for piece in pieces]
    parts = [p for p in parts if p]
    # Only a split into question-like pieces counts: "profits and how they grew" is one question.
    if len(parts) < 2 or not all(_STARTS_LIKE_A_QUESTION.match(p) for p in parts):
        return (question,)
    if any(not content_words(p) and len(p.split()) < 2 for p in parts):
        return (question,)
    return tuple(parts)
