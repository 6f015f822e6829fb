"""Streaming ingestion with a resumable checkpoint: load, chunk and embed documents in batches.

Vectors go straight to disk (`index/.ingest/vectors.f32`, appended), chunk records beside them
(`chunks.jsonl`, the generation's record format, sentence spans included), and a document counts as done only once all its vectors are written and a line
naming it (with its SHA-256 and rows) is in `done.jsonl`. A killed `rag index` leaves the checkpoint
behind; the next run with the same embedder and chunker re-embeds only the documents not yet done.
The checkpoint is deleted once the new generation is live.

Memory stays bounded by one batch of texts and vectors; the vectors of the whole corpus are only
ever memory-mapped.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.index.generations import chunk_from_json, chunk_to_json
from rag.index.manifest import DocumentRecord
from rag.types import Chunk

__all__ = ["Checkpoint", "DoneDocument", "CHECKPOINT_DIR"]

log = logging.getLogger(__name__)

CHECKPOINT_DIR = ".ingest"
_FORMAT = 1


@dataclass(frozen=True)
class DoneDocument:
    doc_id: str
    sha256: str
    start: int  # rows [start, end) of vectors.f32 / chunks.jsonl
    end: int
    info: DocumentRecord  # the manifest's entry for the document

    @classmethod
    def from_json(cls, data: dict) -> DoneDocument:
        return cls(
            data["doc_id"], data["sha256"], int(data["start"]), int(data["end"]), DocumentRecord.from_json(data["info"])
        )

    def to_json(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "sha256": self.sha256,
            "start": self.start,
            "end": self.end,
            "info": self.info.to_json(),
        }


class Checkpoint:
    """The on-disk progress of one indexing run (see the module docstring)."""

    def __init__(self, directory: Path, state: dict, dim: int) -> None:
        self.directory = directory
        self.state = state
        self.dim = dim
        self.done: dict[str, DoneDocument] = {}
        self.rows = 0

    @classmethod
    def open(cls, index_dir: str | Path, state: dict, dim: int) -> Checkpoint:
        """Resume the checkpoint in `index_dir` if it was made with the same `state`, else start anew."""
        directory = Path(index_dir) / CHECKPOINT_DIR
        checkpoint = cls(directory, {**state, "format": _FORMAT, "dimension": dim}, dim)
        if checkpoint._resume():
            return checkpoint
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        (directory / "state.json").write_text(json.dumps(checkpoint.state) + "\n", encoding="utf-8")
        for name in ("vectors.f32", "chunks.jsonl", "done.jsonl"):
            (directory / name).touch()
        return checkpoint

    def _resume(self) -> bool:
        try:
            state = json.loads((self.directory / "state.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        if state != self.state:
            log.info("indexing checkpoint made with other settings; starting over")
            return False
        done: dict[str, DoneDocument] = {}
        rows = 0
        try:
            with (self.directory / "done.jsonl").open(encoding="utf-8") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        break  # the line a kill cut short: everything after it is redone
                    doc = DoneDocument.from_json(record)
                    if doc.start != rows:
                        break
                    done[doc.doc_id] = doc
                    rows = doc.end
            # Drop what was written after the last completed document.
            with (self.directory / "vectors.f32").open("r+b") as fh:
                if os.fstat(fh.fileno()).st_size < rows * self.dim * 4:
                    return False
                fh.truncate(rows * self.dim * 4)
            _truncate_lines(self.directory / "chunks.jsonl", rows)
        except (OSError, TypeError, ValueError, KeyError):
            return False
        self.done, self.rows = done, rows
        if done:
            log.warning("resuming an interrupted run: %d documents (%d chunks) already embedded", len(done), rows)
        return True

    def reusable(self, doc_id: str, sha256: str) -> DoneDocument | None:
        doc = self.done.get(doc_id)
        return doc if doc is not None and doc.sha256 == sha256 else None

    def append(self, finished: list[tuple[str, str, DocumentRecord, list[Chunk]]], vectors: np.ndarray) -> None:
        """Write one batch: documents (doc_id, sha256, info, chunks) whose chunks are `vectors`' rows, in order."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        with (self.directory / "vectors.f32").open("ab") as fh:
            fh.write(vectors.tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        with (self.directory / "chunks.jsonl").open("a", encoding="utf-8") as fh:
            for _, _, _, chunks in finished:
                for chunk in chunks:
                    fh.write(chunk_to_json(chunk) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        with (self.directory / "done.jsonl").open("a", encoding="utf-8") as fh:
            for doc_id, sha256, info, chunks in finished:
                doc = DoneDocument(doc_id, sha256, self.rows, self.rows + len(chunks), info)
                fh.write(json.dumps(doc.to_json()) + "\n")
                self.done[doc_id] = doc
                self.rows = doc.end
            fh.flush()
            os.fsync(fh.fileno())

    def vectors(self) -> np.ndarray:
        """All checkpoint vectors, memory-mapped (rows x dim)."""
        if self.rows == 0:
            return np.zeros((0, self.dim), np.float32)
        return np.memmap(self.directory / "vectors.f32", dtype=np.float32, mode="r", shape=(self.rows, self.dim))

    def chunks(self, wanted: set[str]) -> dict[str, list[Chunk]]:
        """Chunk records of the `wanted` documents (their latest done rows), read back from disk.

        A document can appear twice in the checkpoint (edited between two interrupted runs): only
        the rows its latest `done` line names count.
        """
        keep = np.zeros(self.rows, bool)
        for doc_id in wanted:
            done = self.done[doc_id]
            keep[done.start : done.end] = True
        out: dict[str, list[Chunk]] = {}
        with (self.directory / "chunks.jsonl").open(encoding="utf-8") as fh:
            for row, line in enumerate(fh):
                if row < self.rows and keep[row]:
                    chunk = chunk_from_json(line)
                    out.setdefault(chunk.doc_id, []).append(chunk)
        return out

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _truncate_lines(path: Path, keep: int) -> None:
    with path.open("r+b") as fh:
        offset = 0
        for _ in range(keep):
            line = fh.readline()
            if not line.endswith(b"\n"):
                raise ValueError(f"{path}: fewer complete lines than done documents")
            offset += len(line)
        fh.truncate(offset)


def batched_documents(
    items: Iterable, chunk_of: Callable, batch_chunks: int
) -> Iterator[list[tuple[object, list[Chunk]]]]:
    """Group (item, its chunks) into batches of at least `batch_chunks` chunks (documents stay whole)."""
    batch: list[tuple[object, list[Chunk]]] = []
    size = 0
    for item in items:
        chunks = chunk_of(item)
        if chunks is None:
            continue
        batch.append((item, chunks))
        size += len(chunks)
        if size >= batch_chunks:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
