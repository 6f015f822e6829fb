"""Loopback servers for tests: a free port, and an ASGI app served from a thread."""

from __future__ import annotations

import socket

from rag.serve.openai_api import serving_in_background as running

__all__ = ["free_port", "running"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
