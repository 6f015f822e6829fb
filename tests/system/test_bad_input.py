"""The bad-input corpus (issue 7): nasty files, questions, question files, settings and index states.

Every case checks the same promise: a one-line message naming the file (or line, or setting) and
the problem, no traceback, and what was indexed before is unchanged. The files are generated here
(nothing binary is committed). File cases run in-process with the hash embedder; one CLI run with
the real packaged embedder indexes the whole corpus at once and checks stderr line by line.

The 10,000-file folder and the 200 MB file run at full size: the folder takes seconds with the
hash embedder, and the big file is refused by size, unread.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.config import load_settings
from rag.errors import ConfigError, IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputError
from rag.index.generations import check_index, load_index
from rag.ingest.loaders import MAX_FILE_BYTES
from rag.ingest.loaders.ocr import tesseract_available
from rag.ingest.update import update_index
from tests.support.documents import pdf_text_bytes

# ------------------------------------------------------------------ the file corpus
# Each builder writes its case into a folder and returns (file name, expected outcome, reason):
# "skip" = refused with a warning containing `reason`; "index" = indexed (a warning may say how).


def _encrypted_pdf(folder: Path) -> str:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_text_bytes("Secret plans for the harbour"))))
    writer.encrypt("s3cret-password")
    with (folder / "encrypted.pdf").open("wb") as fh:
        writer.write(fh)
    return "encrypted.pdf"


def _scanned_pdf(folder: Path) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("L", (400, 200), 255)
    ImageDraw.Draw(image).text((20, 80), "Scanned page: text only as pixels", fill=0)
    image.save(folder / "scanned.pdf")
    return "scanned.pdf"


def _write(name: str, data: bytes | str) -> Callable[[Path], str]:
    def build(folder: Path) -> str:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return name

    return build


def _symlink_loop(folder: Path) -> str:
    (folder / "loop_b.txt").symlink_to(folder / "loop_a.txt")
    (folder / "loop_a.txt").symlink_to(folder / "loop_b.txt")
    return "loop_a.txt"


def _dangling(folder: Path) -> str:
    (folder / "dangling.md").symlink_to(folder / "nowhere" / "gone.md")
    return "dangling.md"


def _fifo(folder: Path) -> str:
    os.mkfifo(folder / "pipe.txt")  # reading it would block forever
    return "pipe.txt"


def _dir_named_like_a_file(folder: Path) -> str:
    (folder / "folder.txt").mkdir()
    (folder / "folder.txt" / "inner.txt").write_text("Inner notes about otters and their dams.", encoding="utf-8")
    return "folder.txt/inner.txt"


FILE_CASES: dict[str, tuple[Callable[[Path], str], str, str]] = {
    "empty file": (_write("empty.txt", b""), "skip", "empty file"),
    "whitespace only": (_write("blank.md", " \n\t\r\n   \n"), "skip", "empty file"),
    "0-byte PDF": (_write("zero.pdf", b""), "skip", "empty file"),
    "encrypted PDF": (_encrypted_pdf, "skip", "encrypted PDF"),
    "corrupt PDF": (_write("corrupt.pdf", pdf_text_bytes("Half a document")[:150]), "skip", "PDF"),
    "not a PDF at all": (_write("fake.pdf", b"<html><body>I am HTML</body></html>"), "skip", "PDF"),
    # Read by OCR where Tesseract is installed (CI installs it), else one line naming the package.
    "scanned image-only PDF": (_scanned_pdf, "index", "read by OCR")
    if tesseract_available()
    else (_scanned_pdf, "skip", "apt-get install tesseract-ocr"),
    "HTML with scripts only": (
        _write("scripts.html", "<html><script>alert(1)</script></html>"),
        "skip",
        "no extractable",
    ),
    "HTML with styles only": (
        _write("styles.htm", "<style>p{color:red}</style><noscript></noscript>"),
        "skip",
        "no extractable",
    ),
    "binary with .txt name": (_write("binary.txt", bytes(range(256)) * 64), "skip", "binary"),
    "invalid UTF-8 bytes": (_write("badbytes.txt", b"caf\xc3 \x81\x8d\x8f\x90\x9d bytes"), "skip", "not valid UTF-8"),
    "invalid UTF-16": (_write("bad16.txt", b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8"), "skip", "UTF-16"),
    "symlink loop": (_symlink_loop, "skip", "symbolic link loop"),
    "dangling symlink": (_dangling, "skip", "read"),
    "FIFO named .txt": (_fifo, "skip", "not a regular file"),
    "corrupt DOCX": (_write("broken.docx", b"PK\x03\x04 not really a zip"), "skip", "not a DOCX file"),
    "password-protected DOCX": (
        _write("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
        "skip",
        "password-protected",
    ),
    "0-byte PPTX": (_write("empty.pptx", b""), "skip", "empty file"),
    "corrupt PPTX": (_write("broken.pptx", b"%PDF-1.4 wrong format"), "skip", "not a PPTX file"),
    "CSV of empty cells only": (_write("blank.csv", " , , \n , ,\n"), "skip", "no extractable text"),
    "UTF-16 text": (
        _write("utf16.txt", "Grüße aus Köln: the otter census of 2021.".encode("utf-16")),
        "index",
        "UTF-16",
    ),
    "Latin-1 text": (
        _write("latin1.txt", "Café société: the otter census in Zürich.".encode("latin-1")),
        "index",
        "Windows-1252",
    ),
    "UTF-8 BOM and CRLF": (_write("bom.txt", "\ufeffOtter census\r\nCount was 41 otters.\r\n".encode()), "index", ""),
    "non-English text": (
        _write("chinese.md", "# 水獭调查\n\n二〇二一年的水獭调查共记录了四十一只水獭。\nمسح ثعالب الماء 🦦 sayımı.\n"),
        "index",
        "",
    ),
    "5 MB line without spaces": (_write("oneline.txt", ("otter" * 1_048_576)[: 5 * 2**20]), "index", ""),
    "folder named x.txt": (_dir_named_like_a_file, "index", ""),
    "markup only markdown": (_write("rules.md", "---\n\n***\n\n# \n"), "index", ""),
}


SLOW_CASE = "5 MB line without spaces"  # 12 s to chunk: tested on its own only


@pytest.fixture
def indexed(settings, embedder):
    """The small corpus indexed; returns a snapshot of it to compare with after each case."""
    update_index(settings, embedder=embedder)
    return _snapshot(settings.index_dir)


def _snapshot(index_dir) -> dict:
    index = load_index(index_dir)
    assert check_index(index) == []
    docs = {d: info.sha256 for d, info in index.manifest.documents.items()}
    return {"docs": docs, "chunks": {c.chunk_id: c.text for c in index.chunks}}


def _assert_previous_kept(before: dict, index_dir) -> dict:
    after = _snapshot(index_dir)
    for doc_id, sha in before["docs"].items():
        assert after["docs"].get(doc_id) == sha, f"{doc_id} changed"
    for chunk_id, text in before["chunks"].items():
        assert after["chunks"].get(chunk_id) == text, f"chunk {chunk_id} changed"
    return after


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_bad_file_is_reported_in_one_line_and_changes_nothing(case, settings, embedder, indexed, tmp_path, caplog):
    build, expect, reason = FILE_CASES[case]
    bad = tmp_path / "bad"
    bad.mkdir()
    name = build(bad)
    caplog.set_level(logging.WARNING)
    report = update_index(settings, [bad], embedder=embedder)  # must not raise
    after = _assert_previous_kept(indexed, settings.index_dir)
    doc_id = f"bad/{name}"
    messages = [m for m in _warnings(caplog) if Path(name).name in m]
    assert all("\n" not in m and "Traceback" not in m for m in _warnings(caplog))
    if expect == "skip":
        assert doc_id not in after["docs"]
        assert len(messages) == 1, _warnings(caplog)
        assert reason.lower() in messages[0].lower(), messages
        assert set(after["chunks"]) == set(indexed["chunks"])
    else:
        assert doc_id in after["docs"], (report.skipped, _warnings(caplog))
        if reason:
            assert any(reason in m for m in messages), messages


def test_every_case_together_through_the_loader(settings, embedder, indexed, tmp_path, caplog):
    """The whole corpus in one folder: each bad file gets its own line, the good ones are indexed."""
    bad = tmp_path / "mess"
    bad.mkdir()
    names = {case: builder(bad) for case, (builder, _, _) in FILE_CASES.items() if case != SLOW_CASE}
    caplog.set_level(logging.WARNING)
    report = update_index(settings, [bad], embedder=embedder)
    after = _assert_previous_kept(indexed, settings.index_dir)
    for case, (_, expect, _) in FILE_CASES.items():
        assert case == SLOW_CASE or (f"mess/{names[case]}" in after["docs"]) == (expect == "index"), case
    skipped = {Path(p).name for p, _ in report.skipped}
    warned = _warnings(caplog)
    for case, (_, expect, reason) in FILE_CASES.items():
        if expect == "skip" and case != SLOW_CASE:
            lines = [m for m in warned if Path(names[case]).name in m]
            assert len(lines) == 1 and reason.lower() in lines[0].lower(), (case, lines)
    assert skipped <= {Path(n).name for n in names.values()}


def test_unreadable_permissions(settings, embedder, indexed, tmp_path, caplog, monkeypatch):
    bad = tmp_path / "bad"
    bad.mkdir()
    target = bad / "secret.txt"
    target.write_text("Nobody may read this.", encoding="utf-8")
    target.chmod(0)
    real = Path.read_bytes

    def read_bytes(self):  # root reads mode-000 files, so deny it the way the kernel would
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    caplog.set_level(logging.WARNING)
    update_index(settings, [bad], embedder=embedder)
    after = _assert_previous_kept(indexed, settings.index_dir)
    assert "secret.txt" not in after["docs"]
    assert [m for m in _warnings(caplog) if "secret.txt" in m and "permission denied" in m]


def test_file_deleted_between_listing_and_reading(settings, embedder, indexed, tmp_path, caplog, monkeypatch):
    import rag.ingest.plan

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "keep.txt").write_text("Otters build dens in river banks.", encoding="utf-8")
    (bad / "vanishing.txt").write_text("This file is deleted while indexing runs.", encoding="utf-8")
    real = rag.ingest.plan.discover_files

    def listing_then_delete(root):
        for path in real(root):
            if path.name == "vanishing.txt":
                path.unlink()  # listed, then gone before it is read
            yield path

    monkeypatch.setattr(rag.ingest.plan, "discover_files", listing_then_delete)
    caplog.set_level(logging.WARNING)
    update_index(settings, [bad], embedder=embedder)
    after = _assert_previous_kept(indexed, settings.index_dir)
    assert "bad/keep.txt" in after["docs"] and "bad/vanishing.txt" not in after["docs"]
    mine = [m for m in _warnings(caplog) if "vanishing.txt" in m]
    assert len(mine) == 1 and ("disappeared" in mine[0] or "cannot read" in mine[0]), mine


def test_previously_indexed_file_that_turns_bad_keeps_its_old_version(settings, embedder, indexed, corpus, caplog):
    (corpus / "apples.txt").write_bytes(b"\x00\x01binary now")
    caplog.set_level(logging.WARNING)
    report = update_index(settings, embedder=embedder)
    _assert_previous_kept(indexed, settings.index_dir)
    assert report.kept_unreadable == ["corpus/apples.txt"]


def test_duplicate_documents_under_two_names_are_both_kept_consistently(settings, embedder, indexed, tmp_path):
    bad = tmp_path / "dups"
    bad.mkdir()
    text = "The otter census of 2021 counted 41 otters along the Rhine."
    (bad / "census.txt").write_text(text, encoding="utf-8")
    (bad / "census copy.txt").write_text(text, encoding="utf-8")
    update_index(settings, [bad], embedder=embedder)
    after = _assert_previous_kept(indexed, settings.index_dir)
    assert after["docs"]["dups/census.txt"] == after["docs"]["dups/census copy.txt"]
    again = update_index(settings, [bad], embedder=embedder)
    assert not again.written and again.chunks_embedded == 0  # stable: no churn on re-runs


def test_200_mb_file_is_refused_unread_with_bounded_memory(settings, embedder, indexed, tmp_path, caplog):
    bad = tmp_path / "big"
    bad.mkdir()
    line = b"The otter census counted many otters along the river banks this year.\n"
    with (bad / "huge.txt").open("wb") as fh:
        block = line * (2**20 // len(line))
        for _ in range(200):
            fh.write(block)
    (bad / "small.txt").write_text("A small file about otter dens.", encoding="utf-8")
    assert (bad / "huge.txt").stat().st_size > 190 * 2**20 > MAX_FILE_BYTES
    caplog.set_level(logging.WARNING)
    tracemalloc.start()
    try:
        update_index(settings, [bad], embedder=embedder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    after = _assert_previous_kept(indexed, settings.index_dir)
    assert "big/small.txt" in after["docs"] and "big/huge.txt" not in after["docs"]
    assert [m for m in _warnings(caplog) if "huge.txt" in m and "too large" in m]
    assert peak < 32 * 2**20, f"peak Python allocation {peak / 2**20:.0f} MB while skipping a 200 MB file"


def test_many_small_files(settings, embedder, indexed, tmp_path):
    count = 10_000
    bad = tmp_path / "many"
    for i in range(count):
        sub = bad / f"d{i // 500:02d}"
        if i % 500 == 0:
            sub.mkdir(parents=True)
        (sub / f"note_{i:05d}.txt").write_text(f"Note {i}: otter number {i} was seen at bend {i % 37}.", "utf-8")
    started = time.perf_counter()
    report = update_index(settings, [bad], embedder=embedder)
    first = time.perf_counter() - started
    after = _assert_previous_kept(indexed, settings.index_dir)
    assert report.added and len(report.added) == count
    assert len(after["docs"]) == count + len(indexed["docs"])
    started = time.perf_counter()
    again = update_index(settings, [bad], embedder=embedder)
    assert not again.written and again.unchanged == count + len(indexed["docs"])
    print(f"{count} files: indexed in {first:.1f}s, unchanged re-scan {time.perf_counter() - started:.1f}s")


# ------------------------------------------------------------------ questions


def _pipeline(settings, embedder):
    from rag.answer.pipeline import RagPipeline

    return RagPipeline(settings=settings, embedder=embedder)


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02\x07\x1b\x7f", "\u200b\u200e\ufeff"])
def test_empty_or_control_character_questions_are_refused_in_one_line(question, settings, embedder, indexed):
    with pytest.raises(InputError) as info:
        _pipeline(settings, embedder).ask(question)
    assert "empty" in str(info.value) and "\n" not in str(info.value)


def test_very_long_question_is_answered_not_crashed(settings, embedder, indexed):
    question = ("Where do apples grow and when does the harvest start? " * 2000)[:100_000]
    assert len(question) == 100_000
    answer = _pipeline(settings, embedder).ask(question)
    assert answer.passages and (answer.refused or answer.citations)


# ------------------------------------------------------------------ question files (batch, eval)


BATCH_LINES = [
    ('{"id": "ok1", "question": "Where do apples grow?"}', None),
    ("{broken json", "not valid JSON"),
    ('["a", "list"]', "expected a JSON object"),
    ('{"id": ["x"], "question": "Where?"}', "missing or non-text 'id'"),
    ('{"id": true, "question": "Where?"}', "missing or non-text 'id'"),
    ('{"id": "n1", "question": 42}', "'question' must be non-empty text"),
    ('{"id": "n2", "question": "   "}', "'question' must be non-empty text"),
    ('{"id": "n3"}', "'question' must be non-empty text"),
    ('{"id": "ok1", "question": "Where do apples grow?"}', "duplicate id"),
    ('{"id": "cc", "question": "\\u0000\\u0001\\u0007"}', "the question is empty"),
    ('{"id": "ok2", "question": "How long is the Yangtze?"}', None),
]


def test_batch_input_with_malformed_lines_and_wrong_types(settings, embedder, indexed, tmp_path):
    from rag.answer.batch import run_batch

    questions = tmp_path / "q.jsonl"
    questions.write_bytes(("\n".join(line for line, _ in BATCH_LINES) + "\n").encode() + b"\xff\xfe not utf8\n")
    out = tmp_path / "a.jsonl"
    report = run_batch(questions, out, _pipeline(settings, embedder).ask)
    assert report.answered == 2
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["ok1", "ok2"]
    for number, (_, problem) in enumerate(BATCH_LINES, start=1):
        if problem:
            mine = [m for m in report.bad_lines if m.startswith(f"{questions}:{number}: ")]
            assert len(mine) == 1 and problem in mine[0], (number, report.bad_lines)
    assert any(m.startswith(f"{questions}:{len(BATCH_LINES) + 1}: ") for m in report.bad_lines)
    assert all("\n" not in m for m in report.bad_lines)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{oops", "not valid JSON"),
        ('{"id": "e1", "question": "x", "answers": 5}', "'answers' must be a list of strings"),
        ('{"id": "e1", "question": "x", "answerable": "yes"}', "answerable"),
        ('{"id": "e1", "question": "x", "reference": 3}', "'reference' must be text"),
        ('{"id": {}, "question": "x"}', "'id'"),
        ('{"id": "e1"}', "'question'"),
    ],
)
def test_eval_question_file_problems_name_the_line(line, problem, tmp_path):
    from rag.evaluate.dataset import read_eval_items

    path = tmp_path / "eval.jsonl"
    path.write_text('{"id": "ok", "question": "Where do apples grow?"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_eval_items(path)
    assert str(info.value).startswith(f"{path}:2: ") and problem in str(info.value), str(info.value)


# ------------------------------------------------------------------ settings files


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ("top_kk = 3\n", "top_kk"),
        ("top_k = 'five'\n", "top_k"),
        ("top_k = true\n", "top_k"),
        ("chunk_size = 0\n", "chunk_size"),
        ("generator = 'gpt-17'\n", "generator"),
        ("dense_weight = 3.5\n", "dense_weight"),
        ("[section]\nkey = 1\n", "section"),
        ("top_k = = 3\n", "not valid TOML"),
    ],
)
def test_bad_rag_toml_names_the_setting(toml, named, tmp_path):
    path = tmp_path / "rag.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert named in str(info.value) and "\n" not in str(info.value)


# ------------------------------------------------------------------ index states


def _current(index_dir) -> Path:
    return Path(index_dir) / (Path(index_dir) / "CURRENT").read_text().strip()


def test_index_from_an_older_schema_version_is_refused_with_advice(settings, embedder, indexed):
    manifest = _current(settings.index_dir) / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = 0
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="schema version 0.*rag index --rebuild"):
        load_index(settings.index_dir)
    with pytest.raises(IndexMismatchError):
        update_index(settings, embedder=embedder)  # an update does not silently overwrite it
    report = update_index(settings, rebuild=True, embedder=embedder)
    assert report.written and check_index(load_index(settings.index_dir)) == []


def test_missing_index_is_a_one_line_error(settings, embedder):
    with pytest.raises(IndexNotFoundError, match="no index in .*rag index"):
        _pipeline(settings, embedder).ask("Where do apples grow?")


@pytest.mark.parametrize("damage", ["truncated chunks", "missing vectors", "garbage manifest", "dangling CURRENT"])
def test_half_written_index_is_reported_and_never_served(damage, settings, embedder, indexed):
    gen = _current(settings.index_dir)
    if damage == "truncated chunks":
        data = (gen / "chunks.jsonl").read_bytes()
        (gen / "chunks.jsonl").write_bytes(data[: len(data) // 2])
    elif damage == "missing vectors":
        (gen / "vectors.faiss").unlink()
    elif damage == "garbage manifest":
        (gen / "manifest.json").write_bytes(b'{"schema_version": 2, "documents": ')
    else:
        (Path(settings.index_dir) / "CURRENT").write_text("gen-that-does-not-exist\n")
    with pytest.raises(IndexCorruptError) as info:
        load_index(settings.index_dir)
    assert "rag index --rebuild" in str(info.value) and "\n" not in str(info.value)


# ------------------------------------------------------------------ the CLI with the real embedder

CLI_SKIPPED = [case for case, (_, expect, _) in FILE_CASES.items() if expect == "skip"]


def _rag(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.serve.cli", *args],
        cwd=cwd,
        env={
            **os.environ,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "RAG_GENERATOR": "extractive",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=600,
    )


def _one_clean_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    err = proc.stderr.strip()
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    assert len(err.splitlines()) == 1, proc.stderr
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.mark.slow
def test_cli_on_the_whole_corpus_and_bad_commands(tmp_path):
    """`rag` with the real MiniLM embedder: one warning line per bad file, no traceback, nothing lost."""
    work = tmp_path
    good = work / "good"
    good.mkdir()
    (good / "otters.txt").write_text(
        "Otter census\n\nThe otter census of 2021 counted 41 otters along the Rhine near Basel.\n", encoding="utf-8"
    )
    first = _rag("index", "good", "--json", cwd=work)
    assert first.returncode == 0, first.stderr
    before = _snapshot(work / "index")
    mess = work / "mess"
    mess.mkdir()
    names = {case: builder(mess) for case, (builder, _, _) in FILE_CASES.items() if case != SLOW_CASE}
    proc = _rag("index", "mess", "--json", cwd=work)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    for case in CLI_SKIPPED:
        reason = FILE_CASES[case][2]
        mine = [x for x in lines if Path(names[case]).name in x]
        assert len(mine) == 1 and reason.lower() in mine[0].lower(), (case, mine)
    after = _assert_previous_kept(before, work / "index")
    assert all(names[c] not in after["docs"] for c in CLI_SKIPPED)
    check = _rag("index", "--check", cwd=work)
    assert check.returncode == 0 and check.stdout.startswith("ok: "), check.stderr

    # Questions: empty and control characters refused in one line; a 100 kB question answered.
    _one_clean_line(_rag("ask", "", cwd=work), "error: the question is empty")
    _one_clean_line(_rag("ask", "\x01\x02\x07\x1b", cwd=work), "error: the question is empty")
    long = _rag("ask", "--json", ("How many otters did the census count? " * 3000)[:100_000], cwd=work)
    assert long.returncode == 0 and "Traceback" not in long.stderr, long.stderr
    assert json.loads(long.stdout)["passages"]

    # Settings files and index states.
    (work / "rag.toml").write_text("top_kk = 3\n", encoding="utf-8")
    _one_clean_line(_rag("search", "otters", cwd=work), "rag.toml", "unknown setting", "top_kk")
    (work / "rag.toml").write_text("top_k = 'five'\n", encoding="utf-8")
    _one_clean_line(_rag("search", "otters", cwd=work), "top_k")
    (work / "rag.toml").unlink()
    _one_clean_line(_rag("--index-dir", "nowhere", "ask", "otters?", cwd=work), "no index in nowhere/")
    (work / "q.jsonl").write_bytes(b'{"id": "a", "question": "How many otters?"}\n{oops\n\xff\n')
    batch = _rag("batch", "q.jsonl", "-o", "a.jsonl", cwd=work)
    assert batch.returncode == 0 and "Traceback" not in batch.stderr
    assert "q.jsonl:2: not valid JSON" in batch.stderr and "answered 1" in batch.stdout
    (work / "e.jsonl").write_text('{"id": "a", "question": "otters?", "answers": 5}\n', encoding="utf-8")
    _one_clean_line(_rag("eval", "e.jsonl", "--out", "run", cwd=work), "e.jsonl:1:", "'answers'")
    gen = _current(work / "index")
    (gen / "chunks.jsonl").write_bytes((gen / "chunks.jsonl").read_bytes()[:40])
    _one_clean_line(_rag("search", "otters", cwd=work), "rag index --rebuild")
    _one_clean_line(_rag("index", "--check", cwd=work), "rag index --rebuild")
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**manifest, "schema_version": 0}))
    _one_clean_line(_rag("search", "otters", cwd=work), "schema version 0")
