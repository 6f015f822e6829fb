import hashlib
import sys

import pytest

from rag.errors import ModelNotFoundError
from rag.models import gguf
from rag.models.gguf import PackagedGGUF, packaged_model_available, resolve_gguf


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three importable part modules, each exposing get_part_path(), like the PyPI chunk packages."""
    pkg_root = tmp_path / "site"
    contents = [b"GGUF" + b"a" * 1000, b"b" * 777, b"c" * 5]
    for i, data in enumerate(contents, start=1):
        module = pkg_root / f"fake_part{i}"
        (module / "data").mkdir(parents=True)
        (module / "data" / f"part{i}.bin").write_bytes(data)
        (module / "__init__.py").write_text(
            "import os\ndef get_part_path():\n"
            f"    return os.path.join(os.path.dirname(__file__), 'data', 'part{i}.bin')\n"
        )
    monkeypatch.syspath_prepend(str(pkg_root))
    joined = b"".join(contents)
    spec = PackagedGGUF(
        file_name="fake.gguf",
        modules=("fake_part1", "fake_part2", "fake_part3"),
        distributions=("fake-part1",),
        sha256=hashlib.sha256(joined).hexdigest(),
        size=len(joined),
    )
    monkeypatch.setitem(gguf.PACKAGED_GGUF, "fake-model", spec)
    yield joined
    for name in spec.modules:
        sys.modules.pop(name, None)


def test_parts_joined_once_and_verified(fake_parts, tmp_path):
    path = resolve_gguf("fake-model", tmp_path / "cache")
    assert path.read_bytes() == fake_parts
    mtime = path.stat().st_mtime_ns
    assert resolve_gguf("fake-model", tmp_path / "cache").stat().st_mtime_ns == mtime
    assert packaged_model_available("fake-model")


def test_checksum_mismatch_is_refused(fake_parts, tmp_path, monkeypatch):
    bad = PackagedGGUF(
        "bad.gguf", ("fake_part1", "fake_part2", "fake_part3"), ("fake-part1",), "0" * 64, len(fake_parts)
    )
    monkeypatch.setitem(gguf.PACKAGED_GGUF, "bad-model", bad)
    with pytest.raises(ModelNotFoundError, match="SHA-256"):
        resolve_gguf("bad-model", tmp_path / "cache")
    assert not any((tmp_path / "cache").iterdir()), "no partial or bad file may be left behind"


def test_missing_parts_name_the_install(tmp_path, monkeypatch):
    spec = PackagedGGUF("x.gguf", ("no_such_module_xyz",), ("x",), "0" * 64, 1)
    monkeypatch.setitem(gguf.PACKAGED_GGUF, "missing-model", spec)
    assert not packaged_model_available("missing-model")
    with pytest.raises(ModelNotFoundError, match=r"pip install -e '\.\[local\]'"):
        resolve_gguf("missing-model", tmp_path)


def test_plain_path_and_unknown_name(tmp_path):
    file = tmp_path / "model.gguf"
    file.write_bytes(b"GGUF")
    assert resolve_gguf(str(file), tmp_path) == file
    with pytest.raises(ModelNotFoundError, match="neither a .gguf file nor a packaged model"):
        resolve_gguf("nonexistent-model", tmp_path)
