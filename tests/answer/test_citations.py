from rag.answer.citations import repair_citations, resolve_citations
from rag.types import Chunk, Hit


def _hits(*texts: str) -> list[Hit]:
    return [
        Hit(Chunk(f"d{i}.txt:{i * 100}", f"d{i}.txt", f"d{i}.txt", f"Doc {i}", t, i * 100, i * 100 + len(t)), 0.5, i)
        for i, t in enumerate(texts, start=1)
    ]


def test_markers_resolve_with_quotes_and_offsets():
    hits = _hits("Alpha is first. Beta is second.", "Gamma is third.")
    cited = resolve_citations("Beta is second. [1] Gamma is third. [2]", hits)
    assert [(c.marker, c.source, c.quote) for c in cited.citations] == [
        (1, "d1.txt", "Beta is second."),
        (2, "d2.txt", "Gamma is third."),
    ]
    beta = cited.citations[0]
    assert beta.quote_start == 100 + hits[0].chunk.text.index("Beta")
    assert cited.notes == ()


def test_out_of_range_markers_are_removed_and_reported():
    hits = _hits("Alpha.", "Beta.")
    cited = resolve_citations("Alpha [0]. Beta [2][7]. Both [1, 3].", hits)
    assert cited.text == "Alpha. Beta [1]. Both [2]."
    assert {(c.marker, c.source) for c in cited.citations} == {(1, "d2.txt"), (2, "d1.txt")}
    assert cited.uncited == ("Alpha.",)
    removed = [f"removed citation [{n}]: there are 2 passages" for n in (0, 7, 3)]
    assert sorted(cited.notes) == sorted([*removed, "sentence without a citation: Alpha."])


def test_paraphrase_quotes_closest_passage_sentence():
    hits = _hits("Chips need lithography. The fab opened in 2023 in Dresden. Water is used.")
    cited = resolve_citations("The Dresden fab opened in 2023 [1].", hits)
    quote = cited.citations[0]
    assert quote.quote == "The fab opened in 2023 in Dresden."
    assert quote.quote_start == 100 + hits[0].chunk.text.index("The fab")


def test_unrelated_sentence_cites_whole_passage():
    hits = _hits("Alpha beta gamma.")
    cited = resolve_citations("Completely different words [1].", hits)
    assert cited.citations[0].quote == hits[0].chunk.text


def test_renumbered_in_order_of_first_use_and_grouped_markers():
    hits = _hits("One.", "Two is here.", "Three is here.")
    cited = resolve_citations("Three is here [3]. Two and three [2, 3]. Again [3][3].", hits)
    assert cited.text == "Three is here [1]. Two and three [2][1]. Again [1]."
    assert [(c.marker, c.source) for c in cited.citations][:1] == [(1, "d3.txt")]
    assert {c.marker: c.source for c in cited.citations} == {1: "d3.txt", 2: "d2.txt"}
    assert cited.uncited == ()


def test_no_markers():
    cited = resolve_citations("No citations here.", _hits("x"))
    assert cited.citations == () and cited.text == "No citations here."
    assert cited.uncited == ("No citations here.",)
    assert cited.notes == ("sentence without a citation: No citations here.",)


def test_answer_sentences_keep_trailing_markers():
    from rag.answer.citations import answer_sentences

    assert answer_sentences("One thing. [1] Another [2]. Last. [1][3]") == [
        "One thing. [1]",
        "Another [2].",
        "Last. [1][3]",
    ]


def test_a_quoted_heading_without_a_full_stop_is_a_sentence_of_its_own():
    from rag.answer.citations import answer_sentences

    assert answer_sentences("China sets a goal for 5 years [1] It is the first time. [2] It rose [3] in May.") == [
        "China sets a goal for 5 years [1]",
        "It is the first time. [2]",
        "It rose [3] in May.",
    ]


def test_a_sentence_citing_the_wrong_passage_is_pointed_at_the_one_that_states_it():
    passages = _hits(
        "China plans to issue 1.3 trillion yuan ($180 billion) of ultralong special treasury bonds.",
        "The word technology appears 46 times in the proposal.",
    )
    text = "China plans to issue 1.3 trillion yuan of ultralong special treasury bonds [2]. Technology appears 46 times [2]."
    repaired, notes = repair_citations(text, passages)
    assert repaired == (
        "China plans to issue 1.3 trillion yuan of ultralong special treasury bonds [1]. Technology appears 46 times [2]."
    )
    assert len(notes) == 1 and "passage 1 (d1.txt)" in notes[0]
    cited = resolve_citations(repaired, passages)
    assert cited.citations[0].source == "d1.txt" and "treasury bonds" in cited.citations[0].quote


def test_a_citation_stays_when_no_other_passage_states_the_sentence_or_a_number_differs():
    passages = _hits("Bonds worth 1.3 trillion yuan will be issued this year.", "Markets rose in May.")
    for text in (
        "Bonds worth 1.4 trillion yuan will be issued this year [2].",  # the number is in no passage
        "Markets rose in May after the bonds [2].",  # the cited passage holds it
        "Bonds will be issued [1][2].",  # too few words to tell passages apart
    ):
        assert repair_citations(text, passages) == (text, ())
