"""Reading a BEIR-format dataset and writing its corpus out as one text file per document."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.errors import InputError
from rag.jsonl import iter_jsonl_objects

__all__ = ["BeirData", "load_beir", "materialize_corpus", "read_records", "doc_id_of_file"]


@dataclass
class BeirData:
    corpus_path: Path
    queries: dict[str, str]
    qrels: dict[str, set[str]]
    name: str


def read_records(path: Path) -> Iterator[tuple[int, dict]]:
    for number, record in iter_jsonl_objects(path):
        if "_id" not in record:
            raise InputError(f"{path}:{number}: expected an object with an '_id'")
        yield number, record


def load_beir(directory: str | Path, split: str = "test") -> BeirData:
    """Read queries and the split's relevance judgements (corpus is streamed later)."""
    directory = Path(directory)
    corpus, queries_path, qrels_path = (
        directory / "corpus.jsonl",
        directory / "queries.jsonl",
        directory / "qrels" / f"{split}.tsv",
    )
    for path in (corpus, queries_path):
        if not path.is_file():
            raise InputError(f"{path}: not found (a BEIR dataset has corpus.jsonl, queries.jsonl, qrels/)")
    if not qrels_path.is_file():
        available = sorted(p.stem for p in (directory / "qrels").glob("*.tsv"))
        raise InputError(f"{qrels_path}: not found; splits available: {', '.join(available) or 'none'}")
    qrels: dict[str, set[str]] = {}
    with qrels_path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").split("\t")
            if number == 1 and parts[0] == "query-id":
                continue
            if len(parts) < 3:
                raise InputError(f"{qrels_path}:{number}: expected 'query-id<TAB>corpus-id<TAB>score'")
            try:
                relevant = int(parts[2]) > 0
            except ValueError:
                raise InputError(f"{qrels_path}:{number}: score {parts[2]!r} is not an integer") from None
            if relevant:
                qrels.setdefault(parts[0], set()).add(parts[1])
    queries = {str(r["_id"]): str(r.get("text", "")) for _, r in read_records(queries_path)}
    missing = sorted(set(qrels) - set(queries))
    if missing:
        raise InputError(f"{qrels_path}: {len(missing)} judged queries not in queries.jsonl (e.g. {missing[0]})")
    return BeirData(corpus, {q: queries[q] for q in sorted(qrels)}, qrels, directory.name)


def _file_name(doc_id: str) -> str:
    return urllib.parse.quote(doc_id, safe="") + ".txt"


def doc_id_of_file(file_name: str) -> str:
    """The BEIR id of a materialized file, from its file name or its document id (`corpus/<id>.txt`)."""
    return urllib.parse.unquote(file_name.rsplit("/", 1)[-1].removesuffix(".txt"))


def materialize_corpus(data: BeirData, target: Path) -> int:
    """Write each corpus document as `<id>.txt` (title, blank line, text); unchanged files are kept."""
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    for _, record in read_records(data.corpus_path):
        title, text = str(record.get("title") or "").strip(), str(record.get("text") or "").strip()
        content = f"{title}\n\n{text}\n" if title else f"{text}\n"
        path = target / _file_name(str(record["_id"]))
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        count += 1
    return count
