"""Strict JSONL reading for inputs where a bad line should stop the run with `file:line: problem`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from rag.errors import InputError

__all__ = ["iter_jsonl_objects"]


def iter_jsonl_objects(path: str | Path) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line.

    Raises:
        InputError: the file cannot be read, or a line is not a JSON object (names file:line).
    """
    path = Path(path)
    try:
        # Binary, decoded line by line, so a bad byte is reported on its own line.
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    with fh:
        for number, raw in enumerate(fh, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(f"{path}:{number}: not UTF-8 text") from None
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
            yield number, record
