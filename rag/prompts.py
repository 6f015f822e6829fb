"""Prompt templates from `prompts/*.md`, and the numbered-passage block they embed."""

from __future__ import annotations

from pathlib import Path

from rag.errors import ConfigError
from rag.types import Hit

__all__ = ["PROMPTS_DIR", "build_messages", "load_prompt", "render_passages", "render_answer_prompt"]

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


def load_prompt(name: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    path = prompts_dir / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"prompt template {path} is missing") from None


def render_passages(passages: list[Hit]) -> str:
    """Number passages [1]..[n] and fence each one, so document text reads as data.

    A passage whose text is empty (trimmed away by `rag.evidence.select_evidence`) is left out;
    the others keep their numbers, so `[n]` still means passage n.
    """
    blocks = []
    for n, hit in enumerate(passages, start=1):
        if not hit.chunk.text.strip():
            continue
        text = hit.chunk.text.replace("<<<", "< < <").replace(">>>", "> > >")
        blocks.append(f'[{n}] (from "{hit.chunk.title}")\n<<<\n{text}\n>>>')
    return "\n\n".join(blocks)


def render_answer_prompt(question: str, passages: list[Hit], prompts_dir: Path = PROMPTS_DIR) -> str:
    template = load_prompt("answer", prompts_dir)
    return template.replace("{passages}", render_passages(passages)).replace("{question}", question)


def build_messages(question: str, passages: list[Hit], prompts_dir: Path = PROMPTS_DIR) -> list[dict[str, str]]:
    """Chat messages for an LLM generator: the system rules, then passages and question."""
    return [
        {"role": "system", "content": load_prompt("system", prompts_dir)},
        {"role": "user", "content": render_answer_prompt(question, passages, prompts_dir)},
    ]
