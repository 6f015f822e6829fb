"""HTML (.html, .htm): the text a browser shows, one line per block.

Scripts, styles, templates and comments are not text. Neither is content a reader never sees:
elements with the `hidden` attribute or `aria-hidden="true"`, and elements styled (inline or by a
class or id rule in a `<style>` block) `display:none`, `visibility:hidden`, zero font size or
opacity, moved off-screen, clipped to nothing, or coloured white or transparent on a page that
sets no dark background. Text hidden this way is how an instruction meant for an AI is slipped
past the human reading the page, so it is dropped and the loader's note says how much.
"""

from __future__ import annotations

import re
from pathlib import Path

from rag.ingest.loaders.base import Extracted
from rag.ingest.loaders.text import decode_text

__all__ = ["EXTENSIONS", "extract"]

EXTENSIONS = (".html", ".htm")

_HIDING = (
    re.compile(r"display\s*:\s*none"),
    re.compile(r"visibility\s*:\s*(?:hidden|collapse)"),
    re.compile(r"(?<![-\w])font-size\s*:\s*0(?:\.0+)?(?:px|pt|em|rem|%)?\s*(?:!important)?\s*(?:;|$)"),
    re.compile(r"(?<![-\w])opacity\s*:\s*0(?:\.0+)?\s*(?:!important)?\s*(?:;|$)"),
    re.compile(r"(?:left|top|right|text-indent|margin-left)\s*:\s*-\d{3,}(?:\.\d+)?(?:px|pt|em|rem)"),
    re.compile(r"clip\s*:\s*rect\(\s*0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?[\s,]+0(?:px)?\s*\)"),
    re.compile(r"clip-path\s*:\s*inset\(\s*(?:50|100)%"),
    re.compile(r"(?<![-\w])(?:width|max-width)\s*:\s*0(?:px)?\s*;.*(?<![-\w])(?:height|max-height)\s*:\s*0(?:px)?"),
    re.compile(r"(?<![-\w])color\s*:\s*transparent"),
)
_WHITE_TEXT = re.compile(
    r"(?<![-\w])color\s*:\s*(?:white|#fff(?:fff)?\b|rgba?\(\s*255\s*,\s*255\s*,\s*255\s*(?:,\s*1(?:\.0*)?\s*)?\))"
)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;]+)")
_LIGHT = re.compile(r"^\s*(?:white|#fff(?:fff)?\b|rgba?\(\s*255\s*,\s*255\s*,\s*255|transparent|none|inherit|initial)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^(?:[a-z][\w-]*)?([.#])([\w-]+)$|^([a-z][\w-]*)$")


def extract(path: Path, data: bytes) -> Extracted:
    """The visible text; the title is the page's <title>, the note counts hidden text dropped,
    and `hidden` holds it (comments included) for screening."""
    from bs4 import BeautifulSoup, Comment

    text, _ = decode_text(data)
    soup = BeautifulSoup(text, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    rules = _style_rules(" ".join(tag.get_text(" ") for tag in soup.find_all("style")))
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    hidden: list[str] = [str(c) for c in soup.find_all(string=lambda s: isinstance(s, Comment))]
    dropped, dropped_chars = 0, 0
    for tag in list(soup.find_all(True)):
        if tag.decomposed or not _hidden(tag, rules):
            continue
        hidden.append(tag.get_text("\n", strip=True))
        dropped_chars += len(hidden[-1])
        dropped += 1
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    note = None
    if dropped_chars:
        note = f"dropped hidden text: {dropped} element{'s' if dropped > 1 else ''} ({dropped_chars} characters)"
    return Extracted("\n".join(line for line in lines if line), title or None, note, "\n".join(hidden))


def _style_rules(css: str) -> dict[str, str]:
    """Declarations of `<style>` rules by simple selector (".cls", "#id", "tag"), lower case.
    Compound selectors (descendants, pseudo-classes) are not resolved."""
    css = re.sub(r"/\*.*?\*/", " ", css, flags=re.S).lower()
    rules: dict[str, str] = {}
    for selectors, body in _RULE.findall(css):
        for selector in selectors.split(","):
            match = _SIMPLE_SELECTOR.match(selector.strip())
            if match:
                key = f"{match.group(1)}{match.group(2)}" if match.group(1) else match.group(3)
                rules[key] = rules.get(key, "") + ";" + body
    return rules


def _declarations(tag, rules: dict[str, str]) -> str:
    """The tag's own style: rules for its name, classes and id, then its inline style."""
    parts = [rules.get(tag.name, "")]
    parts += [rules.get(f".{cls.lower()}", "") for cls in tag.get("class", []) or []]
    if tag.get("id"):
        parts.append(rules.get(f"#{str(tag.get('id')).lower()}", ""))
    parts.append(str(tag.get("style", "")).lower())
    return ";".join(p for p in parts if p)


def _hidden(tag, rules: dict[str, str]) -> bool:
    if tag.has_attr("hidden") or str(tag.get("aria-hidden", "")).lower() == "true":
        return True
    if tag.name == "input" and str(tag.get("type", "")).lower() == "hidden":
        return True
    style = _declarations(tag, rules)
    if not style:
        return False
    if any(pattern.search(style) for pattern in _HIDING):
        return True
    return bool(_WHITE_TEXT.search(style)) and not _dark_background(tag, rules)


def _dark_background(tag, rules: dict[str, str]) -> bool:
    """Whether the tag or an ancestor declares a background that is not white (white text shows)."""
    node = tag
    while node is not None and getattr(node, "name", None) not in (None, "[document]"):
        for value in _BACKGROUND.findall(_declarations(node, rules)):
            if not _LIGHT.match(value):
                return True
        node = node.parent
    return False
