import pytest

from rag.retrieve.questions import looks_like_follow_up, question_parts, standalone_query

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


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        (
            "How much did investment in high-tech manufacturing grow, and who said so?",
            ("How much did investment in high-tech manufacturing grow?", "Who said so?"),
        ),
        ("What is the target? And when was it set?", ("What is the target?", "When was it set?")),
        ("Who is Ming Ming and what did he predict?", ("Who is Ming Ming?", "What did he predict?")),
        (
            "When will the plan be unveiled, and at what meeting?",
            ("When will the plan be unveiled?", "At what meeting?"),
        ),
        (
            "Which agency published it; on what date did it open?",
            ("Which agency published it?", "On what date did it open?"),
        ),
        (
            "What rate will the bonds pay? I'd also like to know what the support is meant to accelerate.",
            ("What rate will the bonds pay?", "What the support is meant to accelerate?"),
        ),
    ],
)
def test_several_questions_are_split(question, parts):
    assert question_parts(question) == parts


@pytest.mark.parametrize(
    "question",
    [
        "Who is the chief economist at CITIC Securities?",
        "What are the causes and effects of involution?",
        "Who founded it and when?",  # a bare "when" is not a question of its own
        "How often is technology mentioned compared with the previous plan?",
        "Summarise the plan and its goals.",
    ],
)
def test_one_question_stays_whole(question):
    assert question_parts(question) == (question,)
