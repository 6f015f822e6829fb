from rag.text import content_words, split_sentences


def test_split_sentences_with_offsets():
    text = 'First one. "Quoted second," he said. Mr. Smith stayed.\nA new line without stop\n\nLast? Yes!'
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "First one.",
        '"Quoted second," he said.',
        "Mr. Smith stayed.",
        "A new line without stop",
        "Last?",
        "Yes!",
    ]
    for s in sentences:
        assert text[s.start : s.end] == s.text


def test_initials_do_not_split():
    sentences = split_sentences("It was written by A. E. W. Mason in 1930. Jan A. P. Kaczmarek scored it.")
    assert [s.text for s in sentences] == [
        "It was written by A. E. W. Mason in 1930.",
        "Jan A. P. Kaczmarek scored it.",
    ]
    assert len(split_sentences("He served in World War I. Then he farmed.")) == 2


def test_numbers_do_not_split():
    assert len(split_sentences("Growth was 4.5 percent in 2024. It slowed.")) == 2


def test_content_words():
    words = content_words("Who is the chief economist at CITIC Securities?")
    assert words == {"chief", "economist", "citic", "securitie"}
    assert content_words("Five\u2011Year plans") == {"five-year", "plan"}
