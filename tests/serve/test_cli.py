"""rag.serve.cli: `rag --help` stays instant (no numpy, torch or models imported)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_PROBE = """
import contextlib, io, sys
from rag.serve.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["--help"])
    except SystemExit:
        pass
    try:
        main(["eval-retrieval", "--help"])
    except SystemExit:
        pass
assert "eval-retrieval" in out.getvalue()
heavy = sorted(m for m in ("torch", "numpy", "sentence_transformers", "faiss", "gradio") if m in sys.modules)
assert not heavy, heavy
"""


def test_help_imports_no_heavy_library():
    done = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
