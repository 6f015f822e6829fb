import pytest

from rag.followup import looks_like_follow_up, standalone_query

FIRST = "Who is the chief economist at CITIC Securities?"


@pytest.mark.parametrize(
    "question",
    ["What did he say about policy?", "And their forecast?", "Why?", "Tell me more", "When was that announced?"],
)
def test_follow_ups_are_joined_with_the_previous_question(question):
    assert looks_like_follow_up(question)
    assert standalone_query(question, [FIRST]) == f"{FIRST} {question}"


@pytest.mark.parametrize(
    "question",
    ["Who heads the National Development and Reform Commission?", "What share of solar panels does China make?"],
)
def test_standalone_questions_are_left_alone(question):
    assert not looks_like_follow_up(question)
    assert standalone_query(question, [FIRST]) is None


def test_no_history_means_no_rewrite():
    assert standalone_query("What did he say?", []) is None
    assert standalone_query("What did he say?", ["  "]) is None


def test_uses_the_latest_turn():
    assert standalone_query("What about his view?", ["old question here", FIRST]).startswith(FIRST)
