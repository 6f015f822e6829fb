"""What the web UI shows, as plain strings and rows: the sources panel, chat text, table rows, errors."""

from __future__ import annotations

import html
import logging

from rag.errors import RagError
from rag.types import Answer

__all__ = [
    "EMPTY_SOURCES",
    "SEARCHING_SOURCES",
    "error_sources_html",
    "format_error",
    "sources_html",
    "quick_text",
    "writing_text",
    "chat_text",
]

log = logging.getLogger("rag.serve.ui")


EMPTY_SOURCES = '<div class="rag-sources"><p class="rag-meta">Sources of the latest answer appear here.</p></div>'
SEARCHING_SOURCES = '<div class="rag-sources"><p class="rag-meta">Searching the documents…</p></div>'


def error_sources_html(message: str) -> str:
    return f'<div class="rag-sources"><p class="rag-warn">{html.escape(message)}</p></div>'


def format_error(exc: BaseException) -> str:
    """A one-line message for the chat; anything but a `RagError` is logged with its traceback."""
    if isinstance(exc, RagError):
        text = " ".join(str(exc).split()) or type(exc).__name__
        return f"⚠️ {text}"
    log.error("unexpected error in the UI", exc_info=exc)
    return f"⚠️ Something went wrong ({type(exc).__name__}); the details are in the server log."


def _highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """HTML of `text` with the (start, end) spans wrapped in <mark>."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out.append(html.escape(text[pos:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _quote_span(passage: str, chunk_start: int | None, quote: str, quote_start: int) -> tuple[int, int] | None:
    if chunk_start is not None:
        local = quote_start - chunk_start
        if 0 <= local and passage[local : local + len(quote)] == quote:
            return local, local + len(quote)
    found = passage.find(quote) if quote else -1
    return (found, found + len(quote)) if found >= 0 else None


def _meta(*parts: str) -> str:
    return " · ".join(html.escape(p) for p in parts if p)


def _pages(citations) -> str:
    """Where the quotes of one source are: "p. 2", "p. 2, p. 4", "slide 3" ("" if not paged)."""
    return ", ".join(dict.fromkeys(c.location_text() for c in citations if c.location_text()))


def sources_html(answer: Answer) -> str:
    """The sources panel for one answer: cited passages (quote highlighted), then warnings and the
    retrieved passages that were not cited."""
    hits = {h.chunk.chunk_id: h for h in answer.passages}
    parts = ['<div class="rag-sources">']
    if answer.search_query and answer.search_query != answer.question:
        parts.append(f'<p class="rag-query">Searched for: <code>{html.escape(answer.search_query)}</code></p>')
    if answer.refused:
        parts.append(f'<p class="rag-refused">No answer from the documents: {html.escape(answer.text)}</p>')
    for part in answer.uncovered:
        parts.append(f'<p class="rag-warn rag-uncovered">Not in the documents: {html.escape(part)}</p>')
    by_marker: dict[int, list] = {}
    for citation in answer.citations:
        by_marker.setdefault(citation.marker, []).append(citation)
    for marker, citations in sorted(by_marker.items()):
        first = citations[0]
        hit = hits.get(first.chunk_id)
        spans = [
            span
            for c in citations
            if (span := _quote_span(first.passage, hit.chunk.start if hit else None, c.quote, c.quote_start))
        ]
        chars = f"chars {hit.chunk.start}-{hit.chunk.end}" if hit else ""
        score = f"score {hit.score:.3f}" if hit else ""
        parts.append(
            f'<div class="rag-source" id="rag-source-{marker}" data-marker="{marker}">'
            f'<div class="rag-source-head"><span class="rag-marker">[{marker}]</span> '
            f'<strong class="rag-title">{html.escape(first.title)}</strong></div>'
            f'<div class="rag-meta">{_meta(first.source, _pages(citations), score, chars)}</div>'
            f'<div class="rag-passage">{_highlight(first.passage, spans)}</div></div>'
        )
    for sentence in answer.uncited:
        parts.append(f'<p class="rag-warn">⚠ Not supported by a valid citation: “{html.escape(sentence)}”</p>')
    for verdict in answer.unsupported:
        where = ", ".join(f"[{m}]" for m in verdict.markers) or "any passage"
        parts.append(
            f'<p class="rag-warn rag-unsupported">⚠ The verifier finds no support in {html.escape(where)} '
            f"(score {verdict.score:.2f}): “{html.escape(verdict.sentence)}”</p>"
        )
    if answer.verdicts and not answer.unsupported:
        parts.append(
            f'<p class="rag-note rag-verified">✓ Every sentence checked: all {len(answer.verdicts)} supported by the passages they cite.</p>'
        )
    if answer.verdicts:
        items = "".join(
            f'<li class="{"rag-ok" if v.supported else "rag-warn"}">{"✓" if v.supported else "⚠"} '
            f"{html.escape(v.sentence)} <small>({v.score:.2f})</small></li>"
            for v in answer.verdicts
        )
        parts.append(f'<details class="rag-verdicts"><summary>Sentence by sentence</summary><ul>{items}</ul></details>')
    if answer.extractive_stands and not answer.refused:
        parts.append('<p class="rag-note">The language model wrote no answer; the quoted sentences stand.</p>')
    for marker in answer.removed_citations:
        removed = f"removed citation [{marker}]: there are {len(answer.passages)} passages"
        parts.append(f'<p class="rag-warn">⚠ {html.escape(removed)}</p>')
    if answer.refused:
        for note in answer.notes:
            parts.append(f'<p class="rag-note">{html.escape(note)}</p>')
    cited = {c.chunk_id for c in answer.citations}
    others = [h for h in answer.passages if h.chunk.chunk_id not in cited]
    if others:
        parts.append(f"<details><summary>Retrieved but not cited ({len(others)})</summary>")
        for hit in others:
            parts.append(
                f'<div class="rag-source rag-uncited"><div class="rag-meta">#{hit.rank} · '
                f"{_meta(hit.chunk.title, hit.chunk.source, f'score {hit.score:.3f}')}</div>"
                f'<div class="rag-passage">{html.escape(hit.chunk.text)}</div></div>'
            )
        parts.append("</details>")
    if answer.quick is not None and answer.quick.text != answer.text:
        parts.append(
            '<details class="rag-quick"><summary>Quick answer (best passage sentences)</summary>'
            f"<p>{html.escape(answer.quick.text)}</p></details>"
        )
    footer = " · ".join([f"generator: {answer.generator}", *answer.timing_summary()])
    parts.append(f'<p class="rag-meta rag-timings">{html.escape(footer)}</p></div>')
    return "".join(parts)


def quick_text(answer: Answer) -> str:
    """The quick answer as shown in the chat while the language model writes its own."""
    return f"{chat_text(answer)}\n\n*Quick answer from the best passage sentences; the model's answer is on its way…*"


def writing_text(quick: Answer | None, streamed: str) -> str:
    """The chat message while the language model writes: the quick answer stays where it was,
    and the model's words appear under it as they come, with a running count."""
    words = len(streamed.split())
    head = f"{chat_text(quick)}\n\n---\n" if quick is not None else ""
    return f"{head}✍️ *The model is writing its answer ({words} word{'s' if words != 1 else ''} so far)…*\n\n{streamed}"


def chat_text(answer: Answer) -> str:
    """The answer as shown in the chat: the checked text with its [n] markers, plus a warning line
    when sentences lack a valid citation or markers were removed."""
    warnings = []
    text = answer.text
    for verdict in answer.unsupported:
        # The sentence stays, marked where it stands, so the reader sees which one failed.
        text = text.replace(verdict.sentence, f"{verdict.sentence} ⚠", 1)
    if answer.unsupported:
        n = len(answer.unsupported)
        warnings.append(f"{n} sentence{'s' if n > 1 else ''} (⚠) not supported by the passages cited")
    if answer.uncited:
        n = len(answer.uncited)
        warnings.append(f"{n} sentence{'s' if n > 1 else ''} without a valid citation")
    removed = answer.removed_citations
    if removed:
        warnings.append(f"{len(removed)} invalid citation{'s' if len(removed) > 1 else ''} removed")
    if answer.uncovered:
        text += "\n\n" + "\n".join(f"*Not in the documents:* {part}" for part in answer.uncovered)
    if not warnings:
        return text
    return f"{text}\n\n⚠ {'; '.join(warnings)} (see Sources)"
