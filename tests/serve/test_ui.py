"""rag.serve.ui: upload checks, follow-up queries, sources panel, and the backend on a hash embedder."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rag.errors import ConfigError, IndexLockedError, InputError, RagError
from rag.index.generations import load_index
from rag.serve.ui import (
    ChatOptions,
    UiBackend,
    chat_text,
    default_uploads_dir,
    format_error,
    quick_text,
    sanitize_filename,
    sources_html,
    validate_upload,
    writing_text,
)
from rag.types import REFUSAL_TEXT, Answer, Chunk, Citation, Hit, SentenceVerdict
from tests.support.fakes import HashEmbedder

EXTRACTIVE = ChatOptions(generator="extractive")

# ---------------------------------------------------------------- file names and upload checks


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("notes.txt", "notes.txt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\x\\..\\evil.md", "evil.md"),
        ("/abs/path/Report.HTML", "Report.html"),
        (".bashrc.txt", "bashrc.txt"),
        ("...hidden.htm", "hidden.htm"),
        ("My Report (1).TXT", "My_Report_1.txt"),
        ("résumé final.pdf", "résumé_final.pdf"),
        ("a\x00b\nc.md", "a_b_c.md"),
        ("right\u202eto-left.txt", "right_to-left.txt"),
    ],
)
def test_sanitize_filename(name, safe):
    assert sanitize_filename(name) == safe


@pytest.mark.parametrize("name", ["tool.exe", "archive.tar.gz", "README", "notes.txt.sh", ".txt", "../.md", "___.pdf"])
def test_sanitize_filename_refuses(name):
    with pytest.raises(InputError):
        sanitize_filename(name)


def test_sanitize_filename_caps_length_and_keeps_extension():
    safe = sanitize_filename("x" * 500 + ".md")
    assert len(safe) <= 120 and safe.endswith(".md") and "/" not in safe


def test_validate_upload(tmp_path):
    good = tmp_path / "upload_123"
    good.write_text("Some text.", encoding="utf-8")
    assert validate_upload(good, "../Good File.md") == "Good_File.md"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        validate_upload(empty)
    with pytest.raises(InputError, match="upload limit"):
        validate_upload(good, "big.txt", max_bytes=5)
    with pytest.raises(InputError, match="cannot be read"):
        validate_upload(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="not accepted"):
        validate_upload(good, "x.exe")


CITIC = "Who is the chief economist at CITIC Securities?"


# ---------------------------------------------------------------- formatting


def _hit(doc: str, text: str, start: int, score: float, rank: int, title: str = "Title") -> Hit:
    chunk = Chunk(f"{doc}:{start}", doc, doc, title, text, start, start + len(text))
    return Hit(chunk, score, rank)


def _answer(**changes) -> Answer:
    passage = "Intro sentence here. Ming Ming said <policy> will turn active. Closing words."
    hit1 = _hit("a.txt", passage, 100, 0.61234, 1, title="Policy <b>news</b>")
    hit2 = _hit("b.txt", "Unrelated passage text.", 0, 0.4, 2)
    quote = "Ming Ming said <policy> will turn active."
    citation = Citation(
        1, hit1.chunk.chunk_id, "a.txt", "a.txt", hit1.chunk.title, passage, quote, 121, 121 + len(quote)
    )
    values = dict(
        question="q",
        text="Ming Ming said <policy> will turn active [1].",
        refused=False,
        citations=(citation,),
        passages=(hit1, hit2),
        generator="extractive",
        timings_ms={"total": 12.3},
    )
    values.update(changes)
    return Answer(**values)


def test_sources_html_highlights_the_quote_and_escapes():
    page = sources_html(_answer())
    assert "<mark>Ming Ming said &lt;policy&gt; will turn active.</mark>" in page
    assert "Intro sentence here. <mark>" in page and "</mark> Closing words." in page
    assert '<span class="rag-marker">[1]</span>' in page
    assert "Policy &lt;b&gt;news&lt;/b&gt;" in page and "<b>news" not in page
    assert "score 0.612" in page and "a.txt" in page
    assert "Retrieved but not cited (1)" in page and "Unrelated passage text." in page
    assert "rag-warn" not in page and "generator: extractive · total 12 ms" in page


def test_sources_html_marks_uncited_and_removed_citations_and_query():
    answer = _answer(
        uncited=("He lives in Beijing.",),
        notes=("removed citation [7]: there are 2 passages", "sentence without a citation: He lives in Beijing."),
        removed_citations=(7,),
        search_query="previous question q",
    )
    page = sources_html(answer)
    assert "Not supported by a valid citation: “He lives in Beijing.”" in page
    assert "removed citation [7]: there are 2 passages" in page
    assert "Searched for: <code>previous question q</code>" in page
    text = chat_text(answer)
    assert text.startswith(answer.text) and "1 sentence without a valid citation" in text
    assert "1 invalid citation removed" in text
    assert chat_text(_answer()) == _answer().text


def test_unsupported_sentences_are_marked_in_the_chat_and_the_sources():
    text = "Ming Ming said <policy> will turn active [1]. He was born on Mars [2]."
    verdicts = (
        SentenceVerdict("Ming Ming said <policy> will turn active [1].", (1,), 0.97, True),
        SentenceVerdict("He was born on Mars [2].", (2,), 0.03, False),
    )
    answer = _answer(text=text, verdicts=verdicts)
    chat = chat_text(answer)
    assert "He was born on Mars [2]. ⚠" in chat and "active [1]. ⚠" not in chat
    assert "1 sentence (⚠) not supported by the passages cited" in chat
    page = sources_html(answer)
    assert "no support in [2] (score 0.03): “He was born on Mars [2].”" in page
    assert "rag-verified" not in page
    supported = _answer(verdicts=verdicts[:1])
    assert "all 1 supported" in sources_html(supported) and chat_text(supported) == supported.text


def test_sources_html_quote_found_by_text_when_offsets_disagree():
    answer = _answer()
    moved = answer.citations[0].__class__(**{**answer.citations[0].__dict__, "quote_start": 5})
    assert "<mark>Ming Ming said" in sources_html(_answer(citations=(moved,)))


def test_sources_html_refusal():
    page = sources_html(
        _answer(text=REFUSAL_TEXT, refused=True, citations=(), notes=("best passage score 0.10 below min_score 0.3",))
    )
    assert "No answer from the documents" in page and "below min_score" in page and "<mark>" not in page


def test_sources_html_says_when_the_extractive_answer_stands():
    from rag.answer.pipeline import EXTRACTIVE_STANDS_NOTE

    notes = ("answer not grounded: the answer only restates the question", EXTRACTIVE_STANDS_NOTE)
    page = sources_html(_answer(notes=notes, extractive_stands=True))
    assert "The language model wrote no answer; the quoted sentences stand." in page
    assert "The language model wrote no answer" not in sources_html(_answer())
    # The page reads the typed fields, not the wording of the notes.
    assert "The language model wrote no answer" not in sources_html(_answer(notes=notes))
    assert "rag-warn" not in sources_html(_answer(notes=("removed citation [7]: there are 2 passages",)))


def test_format_error(caplog):
    assert format_error(InputError("the question is\nempty")) == "⚠️ the question is empty"
    with caplog.at_level(logging.ERROR):
        message = format_error(KeyError("secret internals"))
    assert message.startswith("⚠️ Something went wrong (KeyError)") and "secret" not in message
    assert "unexpected error" in caplog.text


# ---------------------------------------------------------------- backend on a hash embedder


@pytest.fixture
def backend(settings, tmp_path) -> UiBackend:
    backend = UiBackend(settings, uploads_dir=tmp_path / "uploads", embedder=HashEmbedder())
    assert backend.ensure_index() is not None
    assert backend.ensure_index() is None  # built once
    return backend


def _file(folder: Path, name: str, data: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_default_uploads_dir_is_next_to_the_index(settings, tmp_path):
    assert default_uploads_dir(settings) == (tmp_path / "uploads").resolve()


def test_backend_answers_and_rewrites_follow_ups(backend):
    answer = backend.ask("Where do apples grow?", options=EXTRACTIVE)
    assert not answer.refused and answer.citations[0].source == "corpus/apples.txt" and answer.search_query is None
    follow = backend.ask("When is it harvested?", ["Where do apples grow?"], EXTRACTIVE)
    assert follow.question == "When is it harvested?"
    assert follow.search_query == "Where do apples grow? When is it harvested?"
    assert [h.chunk.source for h in backend.retrieve("Yangtze river", 2)][0] == "corpus/rivers.md"
    assert backend.default_generator() in backend.generator_choices()
    assert backend.generator_choices()[0] == "extractive" and backend.generator_choices()[-1] == "hosted"


def test_backend_refuses_bad_generator_choices(backend):
    with pytest.raises(ConfigError, match="model name"):
        backend.ask("Where do apples grow?", options=ChatOptions("hosted", hosted_model=""))
    with pytest.raises(ConfigError, match="unknown generator"):
        backend.ask("Where do apples grow?", options=ChatOptions("magic"))
    if "local" not in backend.generator_choices():
        with pytest.raises(ConfigError, match="not installed"):
            backend.ask("Where do apples grow?", options=ChatOptions("local"))
    with pytest.raises(InputError, match="empty"):
        backend.ask("   ", options=EXTRACTIVE)


def test_upload_adds_a_document_that_answers(backend, tmp_path):
    src = _file(tmp_path / "incoming", "tmp-name", "Harbour\n\nThe Zorblat lighthouse keeper is Elvira Quanstrom.\n")
    message = backend.add_files([(src, "../Zorblat notes.txt")])
    assert "Added: uploads/Zorblat_notes.txt" in message and "4 documents" in message
    assert (backend.uploads_dir / "Zorblat_notes.txt").is_file()
    assert not [p for p in backend.uploads_dir.iterdir() if p.name.startswith(".")]  # no leftovers
    rows = {r.doc_id: r for r in backend.documents().rows}
    assert rows["uploads/Zorblat_notes.txt"].title == "Harbour" and rows["uploads/Zorblat_notes.txt"].format == "txt"
    assert "corpus/apples.txt" in rows
    answer = backend.ask("Who is the Zorblat lighthouse keeper?", options=EXTRACTIVE)
    assert answer.citations and answer.citations[0].source == "uploads/Zorblat_notes.txt"
    # The same file again changes nothing; an edited one is updated.
    assert "unchanged: Zorblat_notes.txt" in backend.add_files([(src, "Zorblat notes.txt")])
    src.write_text("Harbour\n\nThe Zorblat lighthouse keeper is Bruno Vandersloot.\n", encoding="utf-8")
    assert "Updated: uploads/Zorblat_notes.txt" in backend.add_files([(src, "Zorblat notes.txt")])
    assert "Bruno" in backend.ask("Who is the Zorblat lighthouse keeper?", options=EXTRACTIVE).text


def test_bad_uploads_change_nothing(backend, tmp_path):
    before = load_index(backend.settings.index_dir).manifest.documents
    incoming = tmp_path / "incoming"
    files = [
        (_file(incoming, "a", b"MZ\x00\x00\x01binary"), "program.txt"),  # passes the name check, unreadable
        (_file(incoming, "b", "text"), "tool.exe"),
        (_file(incoming, "c", b""), "empty.md"),
    ]
    message = backend.add_files(files)
    assert "program.txt: not added (binary file" in message
    assert "tool.exe" in message and "empty.md: the file is empty" in message
    assert load_index(backend.settings.index_dir).manifest.documents.keys() == before.keys()
    assert not (backend.uploads_dir / "program.txt").exists() and not (backend.uploads_dir / "empty.md").exists()
    assert backend.add_files([]) == "No file given."


def test_an_upload_named_like_a_corpus_document_is_a_document_of_its_own(backend, tmp_path):
    message = backend.add_files([(_file(tmp_path / "incoming", "d", "Apples are red in Normandy."), "apples.txt")])
    assert "Added: uploads/apples.txt" in message
    documents = load_index(backend.settings.index_dir).manifest.documents
    assert {"corpus/apples.txt", "uploads/apples.txt"} <= set(documents)
    assert "Normandy" in backend.ask("Where are apples red?", options=EXTRACTIVE).text


def test_upload_too_large(settings, tmp_path):
    small = UiBackend(settings, uploads_dir=tmp_path / "uploads", embedder=HashEmbedder(), max_upload_bytes=10)
    small.ensure_index()
    message = small.add_files([(_file(tmp_path / "in", "x", "x" * 11), "big.txt")])
    assert "big.txt:" in message and "upload limit" in message
    assert not (tmp_path / "uploads" / "big.txt").exists()


def test_remove_upload_deletes_its_file_and_it_can_come_back(backend, tmp_path):
    src = _file(tmp_path / "incoming", "n", "Notes\n\nThe Quanstrom archive holds 400 ship logs.\n")
    backend.add_files([(src, "notes.md")])
    assert "Removed uploads/notes.md" in backend.remove("uploads/notes.md")
    assert not (backend.uploads_dir / "notes.md").exists()
    assert "uploads/notes.md" not in backend.documents().ids
    assert "Added: uploads/notes.md" in backend.add_files([(src, "notes.md")])  # not stuck on the exclusion list
    assert "uploads/notes.md" in backend.documents().ids


def test_remove_corpus_document_keeps_the_file(backend, settings):
    assert "Removed corpus/apples.txt" in backend.remove("corpus/apples.txt")
    assert (Path(settings.corpus_dir) / "apples.txt").is_file()
    assert "corpus/apples.txt" not in backend.documents().ids
    with pytest.raises(InputError, match="not in the index"):
        backend.remove("corpus/apples.txt")
    with pytest.raises(InputError):
        backend.remove("")


def test_second_writer_is_refused(backend, tmp_path):
    src = _file(tmp_path / "incoming", "n", "Some text about boats.")
    with backend._write_lock:
        with pytest.raises(IndexLockedError):
            backend.add_files([(src, "boats.txt")])
        with pytest.raises(IndexLockedError):
            backend.remove("corpus/apples.txt")
    assert not (backend.uploads_dir / "boats.txt").exists()


def test_missing_index_is_a_readable_error(settings, tmp_path):
    empty = UiBackend(settings.replace(index_dir=str(tmp_path / "none")), embedder=HashEmbedder())
    with pytest.raises(RagError, match="no index"):
        empty.ask("Where do apples grow?", options=EXTRACTIVE)
    assert empty.documents().ids == [] and "nothing indexed yet" in empty.documents().summary()


def test_sources_panel_shows_timings_and_the_quick_answer_it_replaced():
    quick = _answer(text="Ming Ming said <policy> will turn active. [1]", timings_ms={"retrieve": 20.0, "total": 118.0})
    answer = _answer(
        generator="local",
        quick=quick,
        timings_ms={"retrieve": 20.4, "quick": 118.0, "first_token": 3210.0, "generate": 4100.0, "total": 4105.0},
        usage={"prompt_tokens": 530, "cached_tokens": 210, "completion_tokens": 20},
    )
    page = sources_html(answer)
    footer = "generator: local · retrieval 20 ms · quick answer 118 ms · first token 3.2 s · total 4.1 s"
    assert footer in page
    assert "prompt 530 tokens (210 cached)" in page and "22.5 tokens/s" in page
    assert "Quick answer (best passage sentences)" in page and "said &lt;policy&gt; will turn active. [1]" in page
    assert "Quick answer" not in sources_html(_answer())
    shown = quick_text(quick)
    assert shown.startswith(quick.text) and "model's answer is on its way" in shown
    # While the model writes, the quick answer stays on top and the model's words come under it.
    writing = writing_text(quick, "Ming Ming expects a more")
    assert (
        writing.startswith(quick.text)
        and "(5 words so far)" in writing
        and writing.endswith("Ming Ming expects a more")
    )
    assert writing_text(None, "One").startswith("✍️") and "(1 word so far)" in writing_text(None, "One")


def test_parts_the_documents_do_not_answer_are_named_in_chat_and_sources():
    answer = _answer(uncovered=("Who said so?",))
    assert "*Not in the documents:* Who said so?" in chat_text(answer)
    assert "Not in the documents: Who said so?" in sources_html(answer)
    assert "Not in the documents" not in chat_text(_answer()) + sources_html(_answer())
