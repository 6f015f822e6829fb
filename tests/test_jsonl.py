import pytest

from rag.errors import InputError
from rag.jsonl import iter_jsonl_objects


def test_yields_objects_with_line_numbers_skipping_blank_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"a": 1}\n\n{"b": 2}\n', encoding="utf-8")
    assert list(iter_jsonl_objects(path)) == [(1, {"a": 1}), (3, {"b": 2})]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"a": 1}\n{oops\n', r"a.jsonl:2: not valid JSON"), ("[1, 2]\n", r"a.jsonl:1: expected a JSON object, got list")],
)
def test_bad_lines_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "a.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        list(iter_jsonl_objects(path))


def test_missing_file_is_one_line_error(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        list(iter_jsonl_objects(tmp_path / "nope.jsonl"))


def test_invalid_utf8_names_the_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{"q": "caf\xff"}\n')
    with pytest.raises(InputError, match=r"a.jsonl:2: not UTF-8 text"):
        list(iter_jsonl_objects(path))
