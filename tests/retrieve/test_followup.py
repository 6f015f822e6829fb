import pytest

from rag.retrieve.followup import looks_like_follow_up, standalone_query

CITIC = "Who is the chief economist at CITIC Securities?"


@pytest.mark.parametrize(
    "question,expected",
    [
        ("What did he say?", True),
        ("And their view on tariffs?", True),
        ("Why?", True),
        ("And Xiong Yuan?", True),  # very short
        ("Tell me more", True),
        (CITIC, False),
        ("What did Ming Ming say about it?", False),  # names its own subject
        ("Which article says that exports grew in 2024?", False),
        ("Who heads the National Development and Reform Commission?", False),
        ("", False),
    ],
)
def test_looks_like_follow_up(question, expected):
    assert looks_like_follow_up(question) is expected


def test_standalone_query():
    assert standalone_query(CITIC, []) is None
    assert standalone_query("What did he say?", []) is None
    assert standalone_query("What did he say?", ["  "]) is None
    assert standalone_query("What did he say?", [CITIC]) == f"{CITIC} What did he say?"
    # A chain of follow-ups keeps the last question that stood on its own.
    assert standalone_query("When did he say it?", [CITIC, "What did he say?"]) == f"{CITIC} When did he say it?"
    assert standalone_query("Who heads the National Development and Reform Commission?", [CITIC]) is None
    assert standalone_query("  What   did he say? ", ["  " + CITIC]) == f"{CITIC} What did he say?"
