"""The Retrieval playground's table: ranked passages with each retriever's say, readable at a glance.

Short column heads carry their meaning in a tooltip; the passage (title, where it is, its text
wrapped with the query's words marked) takes the width that is left, so it is on the first screen.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from rag.retrieve.retriever import explain
from rag.text import content_words
from rag.types import Hit

__all__ = ["PLAYGROUND_MODES", "hits_table_html", "hit_records", "mark_terms"]

# Choice shown in the page -> (retrieval mode, with the cross-encoder).
PLAYGROUND_MODES = {
    "hybrid": ("hybrid", False),
    "dense": ("dense", False),
    "lexical (BM25)": ("lexical", False),
    "hybrid + cross-encoder": ("hybrid", True),
}

# (header, tooltip)
_COLUMNS = (
    ("#", "rank in the final order"),
    ("score", "what the final order sorts by: the fused score, or the cross-encoder's logit when re-ranked"),
    ("dense", "rank in the dense (embedding) list · cosine similarity to the query"),
    ("BM25", "rank in the lexical (BM25) list · BM25 score"),
    ("fused", "rank after fusing dense and BM25"),
    ("CE", "cross-encoder logit (re-ranking); empty when not re-ranked"),
    ("passage", "the passage: its document's title, source, page and characters, then its text"),
)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-']*")


def _fold(word: str) -> str:
    folded = next(iter(content_words(word)), "")
    return folded[:6]


def mark_terms(text: str, query: str) -> str:
    """HTML of `text` with the words it shares with `query` (content words, crude stems) marked."""
    wanted = {word[:6] for word in content_words(query)}
    if not wanted:
        return html.escape(text)
    out, pos = [], 0
    for match in _WORD.finditer(text):
        if _fold(match.group(0)) in wanted:
            out.append(html.escape(text[pos : match.start()]))
            out.append(f"<mark>{html.escape(match.group(0))}</mark>")
            pos = match.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _pages(chunk) -> str:
    numbers = [number for _, number in chunk.pages]
    if not numbers:
        return ""
    span = f"{numbers[0]}–{numbers[-1]}" if len(numbers) > 1 else str(numbers[0])
    return f"{chunk.page_label}{'s' if len(numbers) > 1 else ''} {span}"


def _rank_and_score(rank: int | None, score: float | None) -> str:
    if rank is None:
        return "–"
    return f"{rank}<br><small>{score:.3f}</small>" if score is not None else str(rank)


def hits_table_html(hits: Sequence[Hit], query: str) -> str:
    """The ranked passages as a table; scores to 3 digits, '–' where a retriever did not rank one."""
    heads = "".join(
        f'<th class="rag-col-{i}" title="{html.escape(tip)}">{html.escape(name)}</th>'
        for i, (name, tip) in enumerate(_COLUMNS)
    )
    rows = []
    for hit in hits:
        e = explain(hit)
        sig = hit.signals
        chunk = hit.chunk
        where = " · ".join(filter(None, (chunk.source, _pages(chunk), f"chars {chunk.start}–{chunk.end}")))
        passage = (
            f'<div class="rag-title">{html.escape(chunk.title)}</div>'
            f'<div class="rag-meta">{html.escape(where)}</div>'
            f'<div class="rag-passage">{mark_terms(chunk.text, query)}</div>'
        )
        cells = [
            str(hit.rank),
            f"{hit.score:.3f}",
            _rank_and_score(e["dense_rank"], sig.dense_score if sig else hit.score),
            _rank_and_score(e["lexical_rank"], sig.lexical_score if sig else None),
            "–" if e["fused_rank"] is None else str(e["fused_rank"]),
            "–" if e["reranked"] is None else f"{e['reranked']:.3f}",
        ]
        tds = "".join(f'<td class="rag-num">{cell}</td>' for cell in cells)
        rows.append(f'<tr>{tds}<td class="rag-col-passage">{passage}</td></tr>')
    return (
        '<div class="rag-table-wrap"><table class="rag-table rag-hits">'
        f"<thead><tr>{heads}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def hit_records(hits: Sequence[Hit]) -> list[dict]:
    """The hits as JSON for scripts (`/search` of the page's API): `explain`'s fields and the passage."""
    return [
        {
            **explain(hit),
            "source": hit.chunk.source,
            "title": hit.chunk.title,
            "start": hit.chunk.start,
            "end": hit.chunk.end,
            "text": hit.chunk.text,
        }
        for hit in hits
    ]
