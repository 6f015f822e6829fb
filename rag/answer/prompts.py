"""Prompt templates from `rag/prompts/*.md` (package data), and the numbered-passage block they embed."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable

from rag.errors import ConfigError
from rag.types import Hit

__all__ = ["PROMPTS_DIR", "build_messages", "fence", "load_prompt", "render_passages", "render_answer_prompt"]

# Package data: an installed wheel reads the same templates as the checkout.
PROMPTS_DIR: Traversable = files("rag").joinpath("prompts")


def load_prompt(name: str, prompts_dir: Traversable = PROMPTS_DIR) -> str:
    path = prompts_dir.joinpath(f"{name}.md")
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        raise ConfigError(f"prompt template {path} is missing") from None


def fence(text: str) -> str:
    """`text` between <<< and >>> lines, so a model reads it as data; fence marks inside the text
    are broken up ("< < <"), so no document can close its own fence and speak as the prompt."""
    return f"<<<\n{text.replace('<<<', '< < <').replace('>>>', '> > >')}\n>>>"


def render_passages(passages: list[Hit]) -> str:
    """Number passages [1]..[n] and fence each one, so document text reads as data.

    A passage whose text is empty (trimmed away by `rag.answer.evidence.select_evidence`) is left out;
    the others keep their numbers, so `[n]` still means passage n.
    """
    blocks = []
    for n, hit in enumerate(passages, start=1):
        if not hit.chunk.text.strip():
            continue
        blocks.append(f'[{n}] (from "{hit.chunk.title}")\n{fence(hit.chunk.text)}')
    return "\n\n".join(blocks)


def render_answer_prompt(question: str, passages: list[Hit], prompts_dir: Traversable = PROMPTS_DIR) -> str:
    template = load_prompt("answer", prompts_dir)
    return template.replace("{passages}", render_passages(passages)).replace("{question}", question)


def build_messages(question: str, passages: list[Hit], prompts_dir: Traversable = PROMPTS_DIR) -> list[dict[str, str]]:
    """Chat messages for an LLM generator: the system rules, then passages and question."""
    return [
        {"role": "system", "content": load_prompt("system", prompts_dir)},
        {"role": "user", "content": render_answer_prompt(question, passages, prompts_dir)},
    ]
