"""`rag eval` subcommands (answer-level evaluation); registered by `rag.cli`."""

from __future__ import annotations

import argparse
from collections.abc import Callable

__all__ = ["add_parsers", "COMMANDS"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the evaluation subcommands to the `rag` parser."""


COMMANDS: dict[str, Callable] = {}
