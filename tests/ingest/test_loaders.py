from pathlib import Path

import pytest

from rag.errors import InputError
from rag.ingest.loaders import discover_files, load_file
from rag.types import Document
from tests.support.documents import pdf_text_bytes


def _load_all(given: Path) -> tuple[list[Document], list[tuple[str, str]]]:
    """What indexing does with a folder or file: every supported file loaded, or skipped with a reason."""
    root = given.parent if given.is_file() else given
    documents, skipped = [], []
    for path in discover_files(given):
        try:
            documents.append(load_file(path, root))
        except InputError as exc:
            skipped.append((str(path), str(exc).split(": ", 1)[-1]))
    return documents, skipped


def test_loads_txt_md_html(corpus):
    documents, _ = _load_all(corpus)
    ids = sorted(d.doc_id for d in documents)
    assert ids == ["apples.txt", "chips.html", "rivers.md"]
    html = next(d for d in documents if d.doc_id == "chips.html")
    assert html.title == "Chips"
    assert "alert" not in html.text and "color" not in html.text
    assert "extreme ultraviolet" in html.text
    md = next(d for d in documents if d.doc_id == "rivers.md")
    assert md.title == "Rivers"
    assert len(md.sha256) == 64


def test_pdf_text_extracted(tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf_text_bytes("Lithography machines are export controlled"))
    doc = load_file(path, tmp_path)
    assert "Lithography machines" in doc.text


@pytest.mark.parametrize(
    "name,data,reason",
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"   \n\t\n", "empty"),
        ("binary.txt", b"\x00\x01\x02binary\x00", "binary"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("zero.pdf", b"", "empty"),
        ("scripts.html", b"<html><script>var a=1;</script><style>p{}</style></html>", "no extractable text"),
    ],
)
def test_bad_files_are_skipped_with_reason(tmp_path, name, data, reason):
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text("Good text here.")
    documents, skipped = _load_all(tmp_path)
    assert [d.doc_id for d in documents] == ["good.txt"]
    assert len(skipped) == 1
    path, why = skipped[0]
    assert path.endswith(name) and reason.lower() in why.lower()


def test_encodings(tmp_path):
    (tmp_path / "utf16.txt").write_bytes("Grüße aus Köln".encode("utf-16"))
    (tmp_path / "latin1.txt").write_bytes("Café crème".encode("latin-1"))
    docs = {d.doc_id: d for d in _load_all(tmp_path)[0]}
    assert docs["utf16.txt"].text == "Grüße aus Köln"
    assert docs["latin1.txt"].text == "Café crème"


def test_unreadable_file(tmp_path, monkeypatch):
    # chmod 0 does not stop root (CI runs as root), so make the read itself fail.
    path = tmp_path / "secret.txt"
    path.write_text("hidden")
    real_read = Path.read_bytes

    def deny(self):
        if self.name == "secret.txt":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    assert _load_all(tmp_path)[1] == [(str(path), "permission denied")]


def test_file_deleted_between_listing_and_reading(tmp_path):
    (tmp_path / "gone.txt").symlink_to(tmp_path / "never-existed.txt")
    assert "disappeared" in _load_all(tmp_path)[1][0][1]


def test_discovery_skips_hidden_and_unsupported(tmp_path):
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# A")
    (tmp_path / "loop").symlink_to(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in discover_files(tmp_path)] == ["sub/a.md"]


def test_single_file_gets_its_name_as_id(corpus):
    assert [d.doc_id for d in _load_all(corpus / "apples.txt")[0]] == ["apples.txt"]


def test_load_file_raises_input_error_naming_file(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("")
    with pytest.raises(InputError, match=r"empty\.md: empty file"):
        load_file(path, Path(tmp_path))
