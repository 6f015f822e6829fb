import pytest

from rag.answer.generators.extractive import ExtractiveGenerator
from rag.types import REFUSAL_TEXT, Chunk, Hit


def _hit(text: str, score: float, rank: int, doc: str = "a.txt") -> Hit:
    return Hit(Chunk(f"{doc}:0", doc, doc, doc, text, 0, len(text)), score, rank)


def test_quotes_best_sentence_with_its_passage_number(embedder):
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, max_sentences=1)
    hits = [
        _hit("Rivers flow to the sea. Boats carry goods.", 0.5, 1, "r.txt"),
        _hit("The weather was mild. The Fuji apple was developed in Japan.", 0.4, 2, "f.txt"),
    ]
    out = gen.generate("Where was the Fuji apple developed?", hits)
    assert not out.refused
    assert out.text == "The Fuji apple was developed in Japan. [2]"


def test_refuses_without_passages(embedder):
    assert ExtractiveGenerator(embedder).generate("q", []).refused


def test_refuses_when_no_sentence_is_close(embedder):
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.9)
    out = gen.generate("Who won the cup final?", [_hit("Apples grow on trees in orchards.", 0.5, 1)])
    assert out.refused and out.text == REFUSAL_TEXT and "min_sentence_score" in out.notes[0]


def test_second_sentence_only_when_close(embedder):
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, max_sentences=2, score_ratio=0.99)
    hits = [_hit("Apples grow on trees. Bananas are yellow fruit from far away.", 0.5, 1)]
    out = gen.generate("Where do apples grow?", hits)
    assert out.text.count("[1]") == 1


def test_deterministic(embedder):
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0)
    hits = [_hit("Same words here. Same words here too.", 0.5, 1), _hit("Same words here.", 0.5, 2, "b.txt")]
    assert gen.generate("same words", hits) == gen.generate("same words", hits)


@pytest.mark.parametrize("kwargs", [{"max_sentences": 0}, {"score_ratio": 0}])
def test_validation(embedder, kwargs):
    with pytest.raises(ValueError):
        ExtractiveGenerator(embedder, **kwargs)


def test_extractive_leads_with_a_sentence_that_meets_the_question(embedder):
    from rag.answer.generators.extractive import ExtractiveGenerator, ScoredSentence
    from rag.types import Chunk, Hit

    text = "The Yangtze is the longest river in Asia. It flows for 6,300 kilometres."
    passages = [Hit(chunk=Chunk("r:0", "r", "r.md", "Rivers", text, 0, len(text)), score=0.9, rank=1)]
    ranked = [
        ScoredSentence(1, "The Yangtze is the longest river in Asia.", 0, 0.9, 0),
        ScoredSentence(1, "It flows for 6,300 kilometres.", 42, 0.5, 42),
    ]
    question = "How many kilometres long is the longest river in Asia?"
    answer = ExtractiveGenerator(embedder).answer_from(ranked, question, passages)
    assert answer.text.startswith("It flows for 6,300 kilometres. [1]")
    unchecked = ExtractiveGenerator(embedder, check_constraints=False).answer_from(ranked, question, passages)
    assert unchecked.text.startswith("The Yangtze is the longest river in Asia. [1]")
    refused = ExtractiveGenerator(embedder, min_sentence_score=0.6).answer_from(ranked, question, passages)
    assert refused.refused and "asks for a quantity" in refused.notes[0]
    year = ExtractiveGenerator(embedder).answer_from(ranked, "Which river was longest in 1950?", passages)
    assert year.refused and "do not mention 1950" in year.notes[0]


def test_cross_encoder_chooses_the_lead_among_the_sentences_it_reads(embedder):
    from tests.support.fakes import KeywordReranker

    reranker = KeywordReranker(("charlesfort",))
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, max_sentences=1, reranker=reranker)
    hits = [
        _hit("The first Huguenot outpost in South Carolina was a topic of study. Rivers flow.", 0.5, 1, "a.txt"),
        _hit(
            "Huguenots sailed for South Carolina. In 1562 Jean Ribault founded Charlesfort on Parris Island.",
            0.4,
            2,
            "b.txt",
        ),
    ]
    out = gen.generate("What was the first Huguenot outpost in South Carolina?", hits)
    assert out.text == "In 1562 Jean Ribault founded Charlesfort on Parris Island. [2]"
    assert len(reranker.pairs) == 3  # the sentences of at least 20 characters ("Rivers flow." is not read)


def test_the_best_sentence_s_document_must_name_what_the_question_names(embedder):
    from tests.support.fakes import KeywordReranker

    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("stock exchange",)))
    hits = [
        _hit("Warsaw's first stock exchange was established in 1817.", 0.5, 1, "warsaw.txt"),
        _hit("Berlin has a famous zoo, opened in 1844.", 0.4, 2, "berlin.txt"),
    ]
    out = gen.generate("When was Berlin's first stock exchange established?", hits)
    assert out.refused and "document never mentions berlin" in out.notes[0]
    # A name every other retrieved document holds is the collection's subject, often left unsaid.
    hits = [
        _hit("Strategic industries made up nearly 14 percent of GDP in 2024.", 0.5, 1, "plan.txt"),
        _hit("China will adopt extraordinary measures for technology.", 0.4, 2, "ndrc.txt"),
        _hit("China sets self-reliance as a goal for the next five years.", 0.3, 3, "plenum.txt"),
    ]
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("percent",)))
    out = gen.generate("What share of China's GDP did strategic industries make up in 2024?", hits)
    assert out.text.startswith("Strategic industries made up nearly 14 percent of GDP in 2024. [1]")


def test_the_name_asked_about_must_be_near_the_best_sentence_not_just_in_its_document(embedder):
    from tests.support.fakes import KeywordReranker

    text = (
        "Yale and Harvard have been rivals for a century. The universities lie far apart. "
        "Both admit few students. The Harvard Crimson competes in 42 sports in the Ivy League."
    )
    passage = Hit(Chunk("h.txt:0", "h.txt", "h.txt", "Harvard University", text, 0, len(text)), 0.5, 1)
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("sports",)))
    out = gen.generate("How many sports does Yale compete in?", [passage])
    assert out.refused and "names Harvard where the question names yale" in out.notes[0]
    # The title names what the sentence is about.
    out = gen.generate("How many sports does Harvard compete in?", [passage])
    assert out.text.startswith("The Harvard Crimson competes in 42 sports")
    # So does the sentence before it.
    text = "The Crimson is Harvard's team. It competes in 42 sports in the Ivy League."
    passage = Hit(Chunk("c.txt:0", "c.txt", "c.txt", "Teams", text, 0, len(text)), 0.5, 1)
    out = gen.generate("How many sports does Harvard compete in?", [passage])
    assert not out.refused


def test_a_best_sentence_about_the_opposite_is_no_answer(embedder):
    from tests.support.fakes import KeywordReranker

    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("peptides",)))
    hits = [_hit("Many T cells react with self peptides. Some other cells do not divide at all.", 0.5, 1)]
    out = gen.generate("Which cell never reacts with self peptides?", hits)
    assert out.refused and out.notes == ("best sentence: it asks what is not so, and the sentence negates nothing",)
    out = gen.generate("Which cell reacts with self peptides?", hits)
    assert out.text.startswith("Many T cells react with self peptides. [1]")


def test_cross_encoder_reads_only_the_capped_number_of_sentences(embedder):
    from tests.support.fakes import KeywordReranker

    reranker = KeywordReranker(("apple",))
    text = " ".join(f"Sentence number {i} talks about apples and pears." for i in range(10))
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=reranker, rerank_candidates=4)
    gen.generate("Which sentence talks about apples?", [_hit(text, 0.5, 1)])
    assert len(reranker.pairs) == 4


def test_second_sentence_joins_only_within_the_relevance_gap(embedder):
    from tests.support.fakes import KeywordReranker

    hits = [_hit("Apples grow on trees in orchards. Apple trees need sun. Bananas are yellow fruit.", 0.5, 1)]
    question = "Where do apples grow on trees?"
    close = ExtractiveGenerator(
        embedder, min_sentence_score=0.0, reranker=KeywordReranker(("apple", "trees", "orchard")), relevance_gap=2.0
    )
    assert close.generate(question, hits).text == "Apples grow on trees in orchards. [1] Apple trees need sun. [1]"
    far = ExtractiveGenerator(
        embedder, min_sentence_score=0.0, reranker=KeywordReranker(("apple", "trees", "orchard")), relevance_gap=0.5
    )
    assert far.generate(question, hits).text == "Apples grow on trees in orchards. [1]"


def test_refuses_when_no_sentence_reaches_min_relevance(embedder):
    from tests.support.fakes import KeywordReranker

    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("zebra",)), min_relevance=-1)
    out = gen.generate("Where do apples grow?", [_hit("Apples grow on trees in orchards.", 0.5, 1)])
    assert out.refused and "min_sentence_relevance" in out.notes[0]


def test_a_lead_that_leans_back_brings_the_sentence_before_it(embedder):
    from tests.support.fakes import KeywordReranker

    hits = [
        _hit("The European Council sets the EU's policy agenda. It appoints the board of the central bank.", 0.5, 1)
    ]
    gen = ExtractiveGenerator(
        embedder, min_sentence_score=0.0, max_sentences=1, reranker=KeywordReranker(("appoints",))
    )
    out = gen.generate("Who appoints the board of the central bank?", hits)
    assert out.text == (
        "The European Council sets the EU's policy agenda. [1] It appoints the board of the central bank. [1]"
    )


def test_a_lead_that_continues_a_sentence_comes_after_it_once(embedder):
    from tests.support.fakes import KeywordReranker

    reranker = KeywordReranker(("cascade", "catalytic", "complement"))  # the lead 2, the one before it 1
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, max_sentences=2, reranker=reranker)
    text = "Complement proteins bind to the microbe and activate proteases. This produces a catalytic cascade."
    out = gen.generate("What cascade follows when complement proteins bind?", [_hit(text, 0.5, 1)])
    assert out.text == (
        "Complement proteins bind to the microbe and activate proteases. [1] This produces a catalytic cascade. [1]"
    )


def test_the_sentence_a_lead_leans_on_must_not_say_the_opposite(embedder):
    from tests.support.fakes import KeywordReranker

    text = "Since 1990 the union has had an increasing number of members. This has meant new rules for the courts."
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, max_sentences=1, reranker=KeywordReranker(("meant",)))
    out = gen.generate("What has meant new rules for the courts?", [_hit(text, 0.5, 1)])
    assert not out.refused
    out = gen.generate("What has a decreasing number of members meant for the courts?", [_hit(text, 0.5, 1)])
    assert out.refused
    assert out.notes == ("best sentence: the sentence speaks of 'increasing', the question of 'decreasing'",)


def test_a_when_question_is_refused_when_no_sentence_about_it_has_a_date(embedder):
    from tests.support.fakes import KeywordReranker

    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("dragonnades",)))
    question = "In what year were the Dragonnades started?"
    hits = [
        _hit("Escalating, he instituted dragonnades against Huguenot homes.", 0.5, 1, "huguenots.txt"),
        _hit("In 1351, the Red Turban Rebellion started in the south.", 0.4, 2, "yuan.txt"),
    ]
    out = gen.generate(question, hits)
    # The lower sentence has a year, but its document never names the Dragonnades.
    assert out.refused and out.notes == ("best sentence: it asks when, and no date is given",)
    hits[0] = _hit("Escalating, he instituted dragonnades in 1681 against Huguenot homes.", 0.5, 1, "huguenots.txt")
    assert gen.generate(question, hits).text.startswith("Escalating, he instituted dragonnades in 1681")
    older = _hit("The Duchy of Normandy began in 911 as a fiefdom.", 0.5, 1, "normandy.txt")
    gen = ExtractiveGenerator(embedder, min_sentence_score=0.0, reranker=KeywordReranker(("duchy",)))
    assert not gen.generate("In which year did the Duchy of Normandy begin?", [older]).refused
