"""Turn a follow-up question into a standalone one for retrieval, using the previous turns.

"What did he say about chips?" after "Who is the chief economist at CITIC Securities?" cannot be
retrieved on its own. A follow-up (very short, or a pronoun with no named subject of its own) is
searched together with the latest earlier question that stood on its own; a standalone question
is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["looks_like_follow_up", "standalone_query"]

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
