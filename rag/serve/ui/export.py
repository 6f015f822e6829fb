"""A conversation as a Markdown file: each question, its checked answer and the sources it cites."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from rag.types import Answer

__all__ = ["conversation_markdown", "export_folder", "session_key", "write_conversation"]


def _quote(text: str) -> str:
    return " ".join(text.split()).replace("*", r"\*")


def conversation_markdown(answers: Sequence[Answer], when: str | None = None) -> str:
    """The questions and answers, oldest first; under each answer its sources (title, source,
    page, the quoted sentence) and the parts of the question the documents do not answer."""
    when = when or time.strftime("%Y-%m-%d %H:%M")
    lines = [f"# Conversation with the documents ({when})", ""]
    for n, answer in enumerate(answers, 1):
        lines += [f"## {n}. {_quote(answer.question)}", "", answer.text, ""]
        lines += [f"*Not in the documents:* {part}" for part in answer.uncovered]
        if answer.uncovered:
            lines.append("")
        unsupported = [v.sentence for v in answer.unsupported]
        lines += [
            f"> ⚠ Not supported by the passages it cites: {_quote(s)}" for s in unsupported + list(answer.uncited)
        ]
        if unsupported or answer.uncited:
            lines.append("")
        if answer.citations:
            lines += ["**Sources**", ""]
            for c in answer.citations:
                where = f", {c.location_text()}" if c.location_text() else ""
                lines.append(f"[{c.marker}] **{_quote(c.title)}** — `{c.source}`{where}: “{_quote(c.quote)}”")
                lines.append("")
        elif answer.refused:
            lines += ["*No source: the documents do not answer this.*", ""]
    return "\n".join(lines).rstrip() + "\n"


def write_conversation(answers: Sequence[Answer], folder: str | Path | None = None, session: str = "") -> Path:
    """`conversation_markdown` written to a file (in a new temporary folder unless `folder`). With
    `session`, one file per session, rewritten after each answer, so a long-running server keeps
    one small file per conversation rather than one per answer."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="rag-conversation-"))
    folder = folder / session if session else folder
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "conversation.md" if session else folder / f"conversation-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.write_text(conversation_markdown(answers), encoding="utf-8")
    return path


def export_folder() -> Path:
    """A new private temporary folder for a UI's conversation files, removed when the process
    exits: the files hold users' questions and answers, and a server restarted many times would
    otherwise leave one folder per start behind."""
    folder = Path(tempfile.mkdtemp(prefix="rag-ui-exports-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def session_key(request: object) -> str:
    """A file-name-safe key of a browser session (a Gradio request's `session_hash`)."""
    key = getattr(request, "session_hash", None) or "default"
    return "".join(ch for ch in str(key) if ch.isalnum() or ch in "-_")[:64] or "default"
