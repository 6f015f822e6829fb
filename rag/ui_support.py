"""Everything the web UI (`app.py`) needs that is not Gradio: a testable backend and pure helpers.

- `UiBackend`: one shared embedder and index for all browser sessions; answers through
  `RagPipeline` (nothing here retrieves or prompts on its own), adds uploads, removes documents.
- Upload checks: `sanitize_filename`, `validate_upload` (allowed extensions, size cap).
- Formatting: `sources_html` (cited passages with the quote highlighted), `hit_rows`,
  `document_rows`, `format_error`.
"""

from __future__ import annotations

import html
import logging
import os
import re
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.embeddings import Embedder, create_embedder
from rag.errors import ConfigError, IndexLockedError, IndexNotFoundError, InputError, RagError
from rag.generators import Generator, create_generator, local_generator_available
from rag.index import StoredIndex, load_index
from rag.indexing import IndexReport, remove_documents, update_index
from rag.pipeline import EXTRACTIVE_STANDS_NOTE, RagPipeline
from rag.types import Answer, Hit, StreamEvent

__all__ = [
    "UPLOAD_EXTENSIONS",
    "MAX_UPLOAD_BYTES",
    "UPLOADS_DIRNAME",
    "ChatOptions",
    "UiBackend",
    "default_uploads_dir",
    "sanitize_filename",
    "validate_upload",
    "sources_html",
    "chat_text",
    "quick_text",
    "hit_rows",
    "document_rows",
    "format_error",
    "HIT_HEADERS",
    "DOCUMENT_HEADERS",
]

log = logging.getLogger(__name__)

UPLOAD_EXTENSIONS = (".txt", ".md", ".pdf", ".html", ".htm")
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOADS_DIRNAME = "uploads"
_MAX_NAME_CHARS = 120
_EMBED_STEP = 64  # texts embedded per lock hold, so chat questions interleave with a big upload


def default_uploads_dir(settings: Settings) -> Path:
    """Uploaded files live in `uploads/` next to the index directory."""
    return Path(settings.index_dir).expanduser().resolve().parent / UPLOADS_DIRNAME


# ---------------------------------------------------------------- uploads


def sanitize_filename(name: str) -> str:
    """A safe file name for an uploaded file: no folders, no hidden names, a plain character set.

    Raises:
        InputError: nothing usable is left, or the extension is not allowed.

    Example:
        >>> sanitize_filename("../../etc/My Report (1).TXT")
        'My_Report_1.txt'
    """
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKC", base)
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    ext = "." + ext.lower() if ext else ""
    if ext not in UPLOAD_EXTENSIONS:
        shown = ext or "no extension"
        raise InputError(f"{base or name!r}: {shown} files are not accepted; use {', '.join(UPLOAD_EXTENSIONS)}")
    stem = re.sub(r"[^\w.\-]+", "_", stem)  # letters of any script, digits, _ . -
    stem = re.sub(r"_+", "_", stem).strip("._-")
    if not stem:
        raise InputError(f"{base!r}: the file name has no usable characters; rename it")
    return stem[: _MAX_NAME_CHARS - len(ext)] + ext


def validate_upload(path: str | Path, name: str | None = None, max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    """Check an uploaded file and return the sanitised name it will be stored under.

    Raises:
        InputError: bad extension or name, empty, too large, or not a readable file.
    """
    path = Path(path)
    safe = sanitize_filename(name if name is not None else path.name)
    if path.is_symlink():  # a link could copy any file on the server into the uploads
        raise InputError(f"{safe}: links are not accepted; upload the file itself")
    try:
        size = path.stat().st_size
    except OSError:
        raise InputError(f"{safe}: the uploaded file cannot be read") from None
    if not path.is_file():
        raise InputError(f"{safe}: not a regular file")
    if size == 0:
        raise InputError(f"{safe}: the file is empty")
    if size > max_bytes:
        raise InputError(f"{safe}: {size / 2**20:.1f} MB is over the {max_bytes / 2**20:.0f} MB upload limit")
    return safe


# ---------------------------------------------------------------- formatting

HIT_HEADERS = [
    "rank",
    "score",
    "source",
    "similarity",
    "dense rank",
    "lexical rank",
    "BM25",
    "fused rank",
    "rerank score",
    "title",
    "chars",
    "text",
]
DOCUMENT_HEADERS = ["document", "title", "chunks", "indexed", "origin"]


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


def sources_html(answer: Answer) -> str:
    """The sources panel for one answer: cited passages (quote highlighted), then warnings and the
    retrieved passages that were not cited."""
    hits = {h.chunk.chunk_id: h for h in answer.passages}
    parts = ['<div class="rag-sources">']
    if answer.search_query and answer.search_query != answer.question:
        parts.append(f'<p class="rag-query">Searched for: <code>{html.escape(answer.search_query)}</code></p>')
    if answer.refused:
        parts.append(f'<p class="rag-refused">No answer from the documents: {html.escape(answer.text)}</p>')
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
            f'<div class="rag-source" data-marker="{marker}">'
            f'<div class="rag-source-head"><span class="rag-marker">[{marker}]</span> '
            f'<strong class="rag-title">{html.escape(first.title)}</strong></div>'
            f'<div class="rag-meta">{_meta(first.source, score, chars)}</div>'
            f'<div class="rag-passage">{_highlight(first.passage, spans)}</div></div>'
        )
    for sentence in answer.uncited:
        parts.append(f'<p class="rag-warn">⚠ Not supported by a valid citation: “{html.escape(sentence)}”</p>')
    for note in answer.notes:
        if note.startswith("removed citation"):
            parts.append(f'<p class="rag-warn">⚠ {html.escape(note)}</p>')
        elif note == EXTRACTIVE_STANDS_NOTE and not answer.refused:
            parts.append('<p class="rag-note">The language model wrote no answer; the quoted sentences stand.</p>')
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


def chat_text(answer: Answer) -> str:
    """The answer as shown in the chat: the checked text with its [n] markers, plus a warning line
    when sentences lack a valid citation or markers were removed."""
    warnings = []
    if answer.uncited:
        n = len(answer.uncited)
        warnings.append(f"{n} sentence{'s' if n > 1 else ''} without a valid citation")
    removed = [note for note in answer.notes if note.startswith("removed citation")]
    if removed:
        warnings.append(f"{len(removed)} invalid citation{'s' if len(removed) > 1 else ''} removed")
    if not warnings:
        return answer.text
    return f"{answer.text}\n\n⚠ {'; '.join(warnings)} (see Sources)"


def hit_rows(hits: Sequence[Hit]) -> list[list]:
    """Rows for the retrieval playground table (columns `HIT_HEADERS`)."""
    from rag.retrieval import explain

    rows = []
    for h in hits:
        e = explain(h)
        rows.append(
            [
                e["rank"],
                e["score"],
                h.chunk.source,
                e["similarity"],
                *(
                    "" if e[key] is None else e[key]
                    for key in ("dense_rank", "lexical_rank", "bm25", "fused_rank", "reranked")
                ),
                h.chunk.title,
                f"{h.chunk.start}-{h.chunk.end}",
                h.chunk.text,
            ]
        )
    return rows


def _inside(path: str | Path, folder: Path) -> bool:
    try:
        return Path(path).resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def document_rows(manifest: dict, uploads_dir: Path) -> list[list]:
    """Rows for the documents table (columns `DOCUMENT_HEADERS`), sorted by document id."""
    rows = []
    for doc_id, info in sorted(manifest.get("documents", {}).items()):
        origin = "upload" if _inside(info.get("path", ""), uploads_dir) else "corpus"
        indexed = str(info.get("indexed_at", "")).replace("T", " ")[:19]
        rows.append([doc_id, info.get("title", ""), info.get("chunks", 0), indexed, origin])
    return rows


# ---------------------------------------------------------------- backend


class _LockedEmbedder:
    """Serialises calls into one embedder (fast tokenizers are not safe across threads) and embeds
    long lists in steps, so questions can be answered while an upload is being embedded."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.name = inner.name

    @property
    def dimension(self) -> int:
        with self._lock:
            return self._inner.dimension

    @property
    def max_tokens(self) -> int:
        with self._lock:
            return self._inner.max_tokens

    def count_tokens(self, text: str) -> int:
        with self._lock:
            return self._inner.count_tokens(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self._inner.embed_queries(texts)

    def embed_documents(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if len(texts) <= _EMBED_STEP:
            with self._lock:
                return self._inner.embed_documents(texts)
        steps = range(0, len(texts), _EMBED_STEP)
        if show_progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, desc="Embedding", unit="batch")
        parts = []
        for i in steps:
            with self._lock:
                parts.append(self._inner.embed_documents(texts[i : i + _EMBED_STEP]))
        return np.concatenate(parts)


@dataclass(frozen=True)
class ChatOptions:
    """Per-question choices made in the page."""

    generator: str = "extractive"
    top_k: int | None = None
    hosted_base_url: str | None = None
    hosted_model: str | None = None


class UiBackend:
    """State shared by every browser session: settings, one embedder, the loaded index, generators.

    Args:
        settings: the configuration; `index_dir` and `corpus_dir` as for the CLI.
        uploads_dir: where uploaded files are kept (default: `uploads/` next to the index).
        embedder: an embedder to use instead of the one named in settings (tests pass a fake).
        max_upload_bytes: size cap per uploaded file.
    """

    def __init__(
        self,
        settings: Settings,
        uploads_dir: str | Path | None = None,
        embedder: Embedder | None = None,
        max_upload_bytes: int = MAX_UPLOAD_BYTES,
    ) -> None:
        self.settings = settings
        self.uploads_dir = Path(uploads_dir) if uploads_dir is not None else default_uploads_dir(settings)
        self.max_upload_bytes = max_upload_bytes
        self._embedder: _LockedEmbedder | None = _LockedEmbedder(embedder) if embedder is not None else None
        self._index: StoredIndex | None = None
        self._generators: dict[tuple, Generator] = {}
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()

    # -- components, loaded on first use

    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                s = self.settings
                self._embedder = _LockedEmbedder(create_embedder(s.embedder, s.embed_batch_size, s.device))
            return self._embedder

    def warm_up(self) -> None:
        """Load the embedding model now (it otherwise loads on the first question), and a local
        LLM with its fixed system prompt already read, so the first answer is as fast as the rest."""
        _ = self.embedder().dimension
        if self.default_generator() == "local":
            generator = self._generator(self._settings_for(ChatOptions(generator="local")))
            warm = getattr(generator, "warm_up", None)
            if warm is not None:
                warm()

    def index(self) -> StoredIndex:
        with self._lock:
            if self._index is None:
                index = load_index(self.settings.index_dir)
                index.require_compatible(self.settings.embedder)
                self._index = index
            return self._index

    def reload(self) -> None:
        """Forget the loaded index; the next question reads the live generation from disk."""
        with self._lock:
            self._index = None

    def ensure_index(self) -> IndexReport | None:
        """Build the index from `settings.corpus_dir` when there is none yet."""
        try:
            load_index(self.settings.index_dir)
            return None
        except IndexNotFoundError:
            pass
        log.info("no index in %s; indexing %s", self.settings.index_dir, self.settings.corpus_dir)
        with self._write_lock:
            report = update_index(self.settings, embedder=self.embedder(), show_progress=True)
        self.reload()
        log.info("indexed: %s", report.summary())
        return report

    def generator_choices(self) -> list[str]:
        """Generators the page may offer: extractive always, local when installed, hosted."""
        local = ["local"] if local_generator_available(self.settings) else []
        return ["extractive", *local, "hosted"]

    def default_generator(self) -> str:
        choices = self.generator_choices()
        wanted = self.settings.generator
        if wanted == "auto":
            wanted = "local" if "local" in choices else "extractive"
        return wanted if wanted in choices else "extractive"

    def _settings_for(self, options: ChatOptions) -> Settings:
        if options.generator not in ("extractive", "local", "hosted"):
            raise ConfigError(f"unknown generator {options.generator!r}; choose extractive, local or hosted")
        if options.generator == "local" and "local" not in self.generator_choices():
            raise ConfigError("the local generator is not installed here: pip install -e '.[local]'")
        changes: dict = {"generator": options.generator, "top_k": options.top_k}
        if options.generator == "hosted":
            changes["hosted_base_url"] = (options.hosted_base_url or "").strip() or None
            changes["hosted_model"] = (options.hosted_model or "").strip() or None
        try:
            return self.settings.replace(**changes)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"bad setting: {exc}") from None

    def _generator(self, settings: Settings) -> Generator:
        key = (settings.generator, settings.hosted_base_url, settings.hosted_model)
        if settings.generator != "hosted":
            key = (settings.generator,)
        with self._lock:
            if key not in self._generators:
                if len(self._generators) > 8:  # hosted endpoints typed in the page: keep a few
                    for old_key in [k for k in self._generators if k[0] == "hosted"]:
                        self._generators.pop(old_key)
                self._generators[key] = create_generator(settings, self.embedder())
            return self._generators[key]

    def pipeline(self, options: ChatOptions) -> RagPipeline:
        """A pipeline for one question, sharing the loaded embedder, index and generator."""
        settings = self._settings_for(options)
        embedder = self.embedder()
        index = self.index()
        return RagPipeline(settings=settings, embedder=embedder, generator=self._generator(settings), index=index)

    # -- questions

    def stream(
        self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None
    ) -> Iterator[StreamEvent]:
        """Answer `question` (a follow-up is searched together with the earlier question); the final
        event's answer carries the user's question and the `search_query` that was used."""
        options = options or ChatOptions(generator=self.default_generator())
        yield from self.pipeline(options).stream(question, options.top_k, history=previous)

    def ask(self, question: str, previous: Sequence[str] = (), options: ChatOptions | None = None) -> Answer:
        answer = None
        for event in self.stream(question, previous, options):
            answer = event.answer or answer
        assert answer is not None
        return answer

    def retrieve(self, query: str, k: int | None = None) -> list[Hit]:
        return self.pipeline(ChatOptions(generator="extractive", top_k=k)).retrieve(query, k)

    def ranking_description(self) -> str:
        """How the playground's passages are ranked, in words."""
        s = self.settings
        if s.retrieval == "hybrid":
            how = f"ranked by hybrid search (BM25 + dense, {s.fusion} fusion)"
        else:
            how = f"ranked by {s.retrieval} search"
        return how + (f", reranked by {s.reranker}" if s.reranker else "")

    # -- documents

    def documents(self) -> list[list]:
        try:
            manifest = self.index().manifest
        except IndexNotFoundError:
            return []
        return document_rows(manifest, self.uploads_dir)

    def _writing(self):
        if not self._write_lock.acquire(blocking=False):
            raise IndexLockedError("another upload or removal is running; try again when it has finished")
        return self._write_lock

    def add_files(self, files: Sequence[tuple[str | Path, str]], show_progress: bool = False) -> str:
        """Copy uploaded files (temporary path, original name) into the uploads folder and index them.

        A file that fails a check, or that the loaders cannot read, is reported and left out;
        nothing of it stays on disk or in the index. Returns a message for the page.

        Raises:
            RagError: the index could not be updated (nothing was changed).
        """
        problems: list[str] = []
        accepted: list[tuple[Path, str]] = []
        try:
            documents = self.index().manifest.get("documents", {})
            excluded = set(self.index().manifest.get("excluded", []))
        except IndexNotFoundError:
            documents, excluded = {}, set()
        for path, name in files:
            try:
                safe = validate_upload(path, name, self.max_upload_bytes)
            except InputError as exc:
                problems.append(str(exc))
                continue
            owner = documents.get(safe)
            if owner is not None and not _inside(owner.get("path", ""), self.uploads_dir):
                problems.append(
                    f"{safe}: a document with this name is already indexed from {owner.get('source')}; rename the file"
                )
                continue
            if safe in [s for _, s in accepted]:
                problems.append(f"{safe}: given twice; only the first one is used")
                continue
            accepted.append((Path(path), safe))
        if not accepted:
            return "\n".join(problems) or "No file given."
        lock = self._writing()
        placed: list[tuple[Path, Path | None]] = []  # (target, backup of the file it replaced)
        try:
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            for src, safe in accepted:
                target = self.uploads_dir / safe
                backup = None
                if target.exists():
                    backup = self.uploads_dir / f".backup-{uuid.uuid4().hex}-{safe}"
                    os.replace(target, backup)
                partial = self.uploads_dir / f".part-{uuid.uuid4().hex}-{safe}"
                shutil.copyfile(src, partial)
                os.replace(partial, target)
                placed.append((target, backup))
            # A name removed from the index earlier is excluded from re-scans until named again.
            paths: list[str | Path] = [self.uploads_dir] + [t for t, _ in placed if t.name in excluded]
            try:
                report = update_index(self.settings, paths, embedder=self.embedder(), show_progress=show_progress)
            except BaseException:
                for target, backup in placed:
                    _restore(target, backup)
                raise
            skipped = {str(Path(p).resolve()): reason for p, reason in report.skipped}
            for target, backup in placed:
                reason = skipped.get(str(target.resolve()))
                if reason is not None:
                    problems.append(f"{target.name}: not added ({reason})")
                    _restore(target, backup)
                elif backup is not None:
                    backup.unlink(missing_ok=True)
        finally:
            lock.release()
            self.reload()
        lines = []
        if report.added:
            lines.append("Added: " + ", ".join(report.added))
        if report.updated:
            lines.append("Updated: " + ", ".join(report.updated))
        done = set(report.added) | set(report.updated) | {Path(p).name for p in skipped}
        unchanged = [t.name for t, _ in placed if t.name not in done]
        if unchanged:
            lines.append("Already indexed, unchanged: " + ", ".join(unchanged))
        lines.extend(problems)
        lines.append(f"Index: {report.document_count} documents, {report.chunk_count} chunks.")
        return "\n".join(lines)

    def remove(self, doc_id: str) -> str:
        """Remove a document from the index; an uploaded file is deleted too."""
        if not doc_id:
            raise InputError("choose a document to remove")
        info = self.index().manifest.get("documents", {}).get(doc_id)
        if info is None:
            raise InputError(f"not in the index: {doc_id}")
        lock = self._writing()
        try:
            report = remove_documents(self.settings, [doc_id])
            path = Path(info.get("path", ""))
            if _inside(path, self.uploads_dir) and path.is_file():
                path.unlink()
        finally:
            lock.release()
            self.reload()
        return f"Removed {doc_id}. Index: {report.document_count} documents, {report.chunk_count} chunks."


def _restore(target: Path, backup: Path | None) -> None:
    target.unlink(missing_ok=True)
    if backup is not None:
        os.replace(backup, target)
