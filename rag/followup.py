"""Turn a follow-up question into a standalone one for retrieval, using the previous turns.

"What did he say about chips?" after "Who is the chief economist at CITIC Securities?" cannot be
retrieved on its own. A follow-up (it refers back with a pronoun, or is too short to stand alone)
is searched together with the previous question; a standalone question is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.text import content_words

__all__ = ["looks_like_follow_up", "standalone_query"]

_REFERRING = re.compile(
    r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|this|that|these|those|there|then|"
    r"the same|the former|the latter|above|such|also|else|more|other)\b",
    re.IGNORECASE,
)
_MIN_CONTENT_WORDS = 3


def looks_like_follow_up(question: str) -> bool:
    """True when the question leans on earlier turns (a referring word, or very few content words)."""
    return bool(_REFERRING.search(question)) or len(content_words(question)) < _MIN_CONTENT_WORDS


def standalone_query(question: str, history: Sequence[str]) -> str | None:
    """The query to retrieve with, or None when the question already stands alone.

    Args:
        question: the new user question.
        history: earlier user questions in the conversation, oldest first.
    """
    previous = [h.strip() for h in history if h and h.strip()]
    if not previous or not looks_like_follow_up(question):
        return None
    return f"{previous[-1]} {question.strip()}"
