import pytest

from rag.models.verifier_asked import unanswered


@pytest.mark.parametrize(
    "question, claim",
    [
        ("Grassmann's law is named after a linguist born in which year?", "It is named after a German linguist."),
        ("When did the composer of the opera die?", "The composer died in Moscow."),
        ("The philosopher died in this year?", "Plato presented the paradox."),
        ("How many doors did the hatchback have?", "The hatchback was praised for its doors."),
        ("Who was the producer of the studio album?", "The producer of the studio album."),
        ("The film was directed by whom?", "It was directed by a famous director."),
        ("Which actor voiced the cat in the series?", "The main character voiced the cat."),
        (
            "The song was recorded by a singer that began her career as a cheerleader for who?",
            "The song was recorded by a singer that began her career as a cheerleader.",
        ),
    ],
)
def test_a_whole_answer_that_leaves_out_what_is_asked(question, claim):
    assert unanswered(claim, question)


@pytest.mark.parametrize(
    "question, claim",
    [
        ("Grassmann's law is named after a linguist born in which year?", "1809"),
        ("When did the composer die?", "He died on March 5th."),
        ("How many doors did the hatchback have?", "one"),
        ("How many doors did the hatchback have?", "three-door"),
        ("Who was the producer of the studio album?", "Brendan O'Brien produced it."),
        ("Which actor voiced the cat in the series?", "Jack McBrayer"),
        # The answer named in the question's own words.
        ("What air station is located at the Yuma airport?", "Marine Corps Air Station Yuma"),
        # Options offered, a yes/no question, or no question: other checks read these.
        ("Who was born first out of Rupert Julian and Robert Leonard?", "Rupert Julian"),
        ("Which lasted longer, the Korean War or the Battle of Mindanao?", "The Korean War lasted longer."),
        ("Were the films released in the same year?", "The films were released."),
        ("Is the terrier bigger than the shepherd?", "The terrier is bigger than the shepherd."),
        ("", "The producer of the studio album."),
        ("What central theme did this year's two sessions reaffirm?", "Self-reliance was the theme they reaffirmed."),
        # Something said beyond the question: answered, rightly or not.
        ("In which city was the theme park located?", "The theme park was located in Wichita."),
    ],
)
def test_an_answer_that_gives_something_or_a_question_read_elsewhere(question, claim):
    assert not unanswered(claim, question)
