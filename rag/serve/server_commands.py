"""The serving subcommands; registered by `rag.serve.cli`.

- `rag serve [--host 127.0.0.1] [--port 8000] [--watch]`: the OpenAI-compatible API (`rag.serve.openai_api`)
- `rag mcp`: MCP tools over stdio (`rag.serve.mcp_tools`)
- `rag gguf-path`: the local model's .gguf file, e.g. for `python -m llama_cpp.server --model`
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from rag.config import Settings
from rag.errors import ConfigError

__all__ = ["add_parsers", "COMMANDS"]


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Add the serving subcommands to the `rag` parser."""
    p = sub.add_parser("serve", help="serve an OpenAI-compatible API (/v1/chat/completions) over the index")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--watch", action="store_true", help="keep the index in line with its folders while serving")
    p.add_argument("--max-waiting", type=int, default=16, help="requests queued beyond this get 429 (default 16)")

    sub.add_parser("mcp", help="serve MCP tools (search, ask, list_documents) over stdio")

    sub.add_parser(
        "gguf-path", help="print the path of the local model's .gguf file (joined from its packages on first use)"
    )


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.openai_api import ApiLimits, run_server

    if not 0 < args.port < 65536 or args.max_waiting < 0:
        raise ConfigError("--port must be 1-65535 and --max-waiting >= 0")
    run_server(settings, args.host, args.port, ApiLimits(max_waiting=args.max_waiting), watch=args.watch)
    return 0


def _cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    from rag.serve.mcp_tools import run_mcp

    run_mcp(settings)
    return 0


def _cmd_gguf_path(args: argparse.Namespace, settings: Settings) -> int:
    from rag.models.gguf import resolve_gguf

    print(resolve_gguf(settings.local_model, settings.model_cache_dir))
    return 0


COMMANDS: dict[str, Callable] = {"serve": _cmd_serve, "mcp": _cmd_mcp, "gguf-path": _cmd_gguf_path}
