"""`manifest.json`: what an index generation holds and how it was built.

The manifest is the contract between the writer (`rag index`) and every reader (retrieval, the
UI's document table, `rag index --check`); it is parsed and written here and nowhere else, so
readers use typed fields. The JSON keys are those of earlier versions, so old indexes load.

Schema versions:
    1  vectors, chunk records and the manifest.
    2  adds the BM25 index (lexical/); a version-1 index gets it built in memory on load.
    3  chunk records carry their sentence spans; older records get them computed on load.
The next `rag index` rewrites an older generation in the current schema without re-embedding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.errors import IndexCorruptError, IndexMismatchError

__all__ = ["SCHEMA_VERSION", "READABLE_VERSIONS", "DocumentRecord", "Manifest"]

SCHEMA_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)


@dataclass(frozen=True)
class DocumentRecord:
    """One indexed document, as the manifest lists it.

    Attributes:
        source: the path shown to users (relative to its root).
        title: the document's title.
        sha256: hash of the raw file bytes when it was indexed (what re-indexing compares).
        path: absolute path of the file when it was indexed.
        root: the indexed root (folder or file) it was found under.
        indexed_at: when it was embedded, "%Y-%m-%dT%H:%M:%S%z".
        chunks: how many chunk records it has.
        flagged: how many of them read as instructions to an AI (held back from generators).
        notes: what the loader left out or changed (hidden text dropped, control characters).
        pages: a paged document's page (or slide) count; 0 for other formats.
        page_label: "page" (PDF) or "slide" (PPTX).
        duplicate_of: for a byte-identical copy of another document, that document's id; the
            copy has no chunks of its own (it is embedded once, under the other's id).
    """

    source: str = ""
    title: str = ""
    sha256: str = ""
    path: str = ""
    root: str = ""
    indexed_at: str = ""
    chunks: int = 0
    flagged: int = 0
    notes: tuple[str, ...] = ()
    pages: int = 0
    page_label: str = "page"
    duplicate_of: str = ""

    @classmethod
    def from_json(cls, data: dict) -> DocumentRecord:
        return cls(
            source=str(data.get("source", "")),
            title=str(data.get("title", "")),
            sha256=str(data.get("sha256", "")),
            path=str(data.get("path", "")),
            root=str(data.get("root", "")),
            indexed_at=str(data.get("indexed_at", "")),
            chunks=int(data.get("chunks", 0) or 0),
            flagged=int(data.get("flagged", 0) or 0),
            notes=tuple(str(note) for note in data.get("notes", ()) or ()),
            pages=int(data.get("pages", 0) or 0),
            page_label=str(data.get("page_label", "page") or "page"),
            duplicate_of=str(data.get("duplicate_of", "") or ""),
        )

    def to_json(self) -> dict:
        extra: dict = {}
        if self.flagged:
            extra["flagged"] = self.flagged
        if self.notes:
            extra["notes"] = list(self.notes)
        if self.pages:
            extra["pages"] = self.pages
            if self.page_label != "page":
                extra["page_label"] = self.page_label
        if self.duplicate_of:
            extra["duplicate_of"] = self.duplicate_of
        return {
            "source": self.source,
            "title": self.title,
            "sha256": self.sha256,
            "path": self.path,
            "root": self.root,
            "indexed_at": self.indexed_at,
            "chunks": self.chunks,
            **extra,
        }


@dataclass(frozen=True)
class Manifest:
    """A generation's manifest.

    The writer fills the first group; `save_index` fills the rest (schema version, counts and
    the vector store it wrote) when the generation is written.

    Attributes:
        embedder: name of the embedding model the vectors come from.
        dimension: the vectors' dimension.
        chunker: the chunker settings (`ChunkerSettings.as_dict()`).
        documents: doc id -> its record.
        roots: the folders and files indexed, re-scanned by a plain `rag index`.
        excluded: doc ids removed by the user, left out of re-scans.
        updated_at: when the generation was written.
        vector_store: the store's own entry (backend, index type and its backend's settings).
        screening: the version of the instruction screening its chunk flags come from (0: none).
        root_labels: root -> the label its documents' ids start with (`seeds/000_….txt`); empty
            in an index written before ids named their root (its ids are migrated on update).
        titles: the version of the title rules its titles come from (`rag.ingest.titles`; 0: older).
    """

    embedder: str
    dimension: int
    chunker: dict
    documents: dict[str, DocumentRecord]
    roots: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    updated_at: str = ""
    schema_version: int = SCHEMA_VERSION
    chunk_count: int = 0
    index_factory: str = ""
    index_type: str = ""
    vector_store: dict = field(default_factory=dict)
    lexical_format: int | None = None
    screening: int = 0
    root_labels: dict[str, str] = field(default_factory=dict)
    titles: int = 0

    @property
    def store_backend(self) -> str:
        return self.vector_store.get("backend", "faiss")

    @property
    def stored_type(self) -> tuple[str, str]:
        """(backend, index type) of the vector store written (older manifests: the factory setting)."""
        return self.store_backend, self.index_type or self.index_factory

    def replace(self, **changes) -> Manifest:
        return replace(self, **changes)

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        """Parse a manifest.json object (any readable schema version).

        Raises:
            IndexMismatchError: it was written with a schema version this program cannot read.
            KeyError, TypeError, ValueError: a required key is missing or has the wrong type.
        """
        version = data.get("schema_version") if isinstance(data, dict) else None
        if version not in READABLE_VERSIONS:
            raise IndexMismatchError(f"schema version {version}")
        embedder = data["embedder"]
        documents = data["documents"]
        if not isinstance(documents, dict) or not isinstance(data["chunker"], dict):
            raise TypeError("documents and chunker must be objects")
        return cls(
            embedder=str(embedder["name"]),
            dimension=int(embedder.get("dimension", 0)),
            chunker=dict(data["chunker"]),
            documents={doc_id: DocumentRecord.from_json(info) for doc_id, info in documents.items()},
            roots=tuple(data.get("roots", ())),
            excluded=tuple(data.get("excluded", ())),
            updated_at=str(data.get("updated_at", "")),
            schema_version=int(version),
            chunk_count=int(data["chunk_count"]),
            index_factory=str(data.get("index_factory", "")),
            index_type=str(data.get("index_type", "")),
            vector_store=dict(data.get("vector_store") or {}),
            lexical_format=data.get("lexical_format"),
            screening=int(data.get("screening", 0) or 0),
            root_labels={str(k): str(v) for k, v in (data.get("root_labels") or {}).items()},
            titles=int(data.get("titles", 0) or 0),
        )

    def to_json(self) -> dict:
        return {
            "embedder": {"name": self.embedder, "dimension": self.dimension},
            "chunker": dict(self.chunker),
            "roots": list(self.roots),
            "excluded": list(self.excluded),
            "documents": {doc_id: record.to_json() for doc_id, record in self.documents.items()},
            "updated_at": self.updated_at,
            "schema_version": self.schema_version,
            "chunk_count": self.chunk_count,
            "index_factory": self.index_factory,
            "index_type": self.index_type,
            "vector_store": dict(self.vector_store),
            "lexical_format": self.lexical_format,
            "screening": self.screening,
            "root_labels": dict(self.root_labels),
            "titles": self.titles,
        }

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Load a generation's manifest.json.

        Raises:
            IndexCorruptError: the file is unreadable or malformed.
            IndexMismatchError: it was written with a schema version this program cannot read.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexCorruptError(f"{path} unreadable ({exc}); run `rag index --rebuild`") from None
        try:
            return cls.from_json(data)
        except IndexMismatchError as exc:
            raise IndexMismatchError(
                f"the index in {path.parent.parent}/ has {exc}, this program reads version "
                f"{SCHEMA_VERSION}; run `rag index --rebuild`"
            ) from None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorruptError(
                f"{path} malformed ({type(exc).__name__}: {' '.join(str(exc).split())}); run `rag index --rebuild`"
            ) from None

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
