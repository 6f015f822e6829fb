from rag.answer.evidence import PASSAGE_OVERHEAD_TOKENS, score_sentences, select_evidence
from rag.answer.prompts import render_passages
from rag.types import Chunk, Hit
from tests.support.fakes import HashEmbedder


def _hit(n: int, text: str, doc: str = "doc.txt", start: int = 0) -> Hit:
    chunk = Chunk(f"{doc}:{start}", doc, doc, doc.split(".")[0], text, start, start + len(text))
    return Hit(chunk=chunk, score=1.0 / n, rank=n)


PASSAGES = [
    _hit(
        1,
        "The harbour opened in 1890 after ten years of work. Trade grew quickly along the coast. "
        "Investment in the harbour rose 12 percent in the first three quarters of the year.",
        "harbour.txt",
    ),
    _hit(2, "Fishing boats leave before dawn every day of the week. Nets are mended on the quay.", "boats.txt"),
    _hit(3, "The lighthouse keeper, Anna Berg, works for the Coastal Agency. She has kept it since 2001.", "light.txt"),
]


def _count(text: str) -> int:
    return HashEmbedder().count_tokens(text)


def test_scores_put_the_answering_sentence_first():
    ranked = score_sentences("How much did investment in the harbour rise?", PASSAGES, HashEmbedder())
    assert ranked[0].marker == 1 and "12 percent" in ranked[0].text
    assert PASSAGES[0].chunk.text[ranked[0].offset :].startswith(ranked[0].text)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_positions_are_kept_and_unchosen_passages_are_empty():
    question = "How much did investment in the harbour rise in the first three quarters?"
    ranked = score_sentences(question, PASSAGES, HashEmbedder())
    trimmed = select_evidence(ranked, PASSAGES, 30, _count)
    assert len(trimmed) == len(PASSAGES)
    assert [h.chunk.chunk_id for h in trimmed] == [h.chunk.chunk_id for h in PASSAGES]
    assert "12 percent" in trimmed[0].chunk.text
    assert "1890" not in trimmed[0].chunk.text  # cut to the budget
    assert trimmed[1].chunk.text == ""
    rendered = render_passages(trimmed)
    assert "[1]" in rendered and "[2]" not in rendered  # empty passages are left out, numbers kept


def test_budget_is_respected_and_the_best_sentence_always_kept():
    question = "Who is the lighthouse keeper and who does she work for?"
    ranked = score_sentences(question, PASSAGES, HashEmbedder())
    for budget in (1, 40, 80):
        trimmed = select_evidence(ranked, PASSAGES, budget, _count)
        used = sum(_count(h.chunk.text) + PASSAGE_OVERHEAD_TOKENS for h in trimmed if h.chunk.text)
        assert ranked[0].text in trimmed[ranked[0].marker - 1].chunk.text
        if budget >= 40:
            assert used <= budget


def test_leaning_sentence_brings_its_antecedent():
    ranked = score_sentences("Since when has she kept the lighthouse?", PASSAGES, HashEmbedder())
    assert ranked[0].text.startswith("She has kept it")
    trimmed = select_evidence(ranked, PASSAGES, 60, _count, min_share=1.0)
    assert "Anna Berg" in trimmed[2].chunk.text  # "She" needs the sentence naming her


def test_a_sentence_continuing_the_one_before_brings_it():
    from rag.answer.evidence import ScoredSentence

    text = (
        "A fort, named Fort Coligny, was built to protect the colonists from attack. "
        "Nets were mended on the quay every evening by the older fishermen of the town. "
        "The fort was destroyed in 1560 by the Portuguese fleet after a long siege."
    )
    hit = _hit(1, text, "fort.txt")
    destroyed = text.index("The fort was")
    ranked = [ScoredSentence(1, text[destroyed:], destroyed, 0.9, destroyed)]
    trimmed = select_evidence(ranked, [hit], 200, _count, min_share=1.0)
    assert "Nets were mended" not in trimmed[0].chunk.text  # the sentence before is not about a fort
    text = text.replace("Nets were mended on the quay every evening by the older fishermen of the town. ", "")
    hit = _hit(1, text, "fort.txt")
    destroyed = text.index("The fort was")
    ranked = [ScoredSentence(1, text[destroyed:], destroyed, 0.9, destroyed)]
    # "The fort…" opens with a word of the sentence before, which says which fort.
    assert "Fort Coligny" in select_evidence(ranked, [hit], 200, _count, min_share=1.0)[0].chunk.text


def test_skipped_sentences_are_marked_with_an_ellipsis():
    ranked = score_sentences("When did the harbour open and how much did investment rise?", PASSAGES, HashEmbedder())
    picked = [s for s in ranked if s.marker == 1 and ("1890" in s.text or "12 percent" in s.text)]
    trimmed = select_evidence(picked, PASSAGES, 200, _count, min_share=0.0)
    assert "1890" in trimmed[0].chunk.text and "12 percent" in trimmed[0].chunk.text
    assert " … " in trimmed[0].chunk.text and "Trade grew" not in trimmed[0].chunk.text


def test_zero_budget_returns_whole_passages():
    ranked = score_sentences("harbour", PASSAGES, HashEmbedder())
    assert select_evidence(ranked, PASSAGES, 0, _count) == PASSAGES


def test_the_cross_encoder_reads_a_continuing_sentence_after_the_one_it_continues():
    from tests.support.fakes import KeywordReranker

    text = (
        "After complement proteins bind to the microbe, they activate other complement proteases. "
        "This produces a catalytic cascade that amplifies the signal. "
        "Rivers and mountains were drawn on the old maps of the region."
    )
    reranker = KeywordReranker(("complement", "cascade"))
    question = "What cascade results when complement proteins bind to microbes?"
    # Only the best sentence is a candidate of its own; the one continuing it is read too.
    ranked = score_sentences(question, [_hit(1, text)], HashEmbedder(), reranker, rerank_candidates=1)
    read = [passage for _, passage in reranker.pairs]
    assert read[0].startswith("doc: After complement proteins")  # under its document's title
    assert read[1] == (
        "doc: After complement proteins bind to the microbe, they activate other complement proteases. "
        "This produces a catalytic cascade that amplifies the signal."
    )
    assert len(read) == 2  # the map sentence does not continue anything
    assert ranked[0].text.startswith("This produces a catalytic cascade") and ranked[0].relevance == 2.0


def test_the_fort_continues_a_sentence_about_a_fort():
    from rag.answer.evidence import leaned_on

    text = "A fort, named Fort Coligny, was built on the island. The fort was destroyed in 1560. The river beside the town is wide and slow."
    hit = _hit(1, text)
    ranked = score_sentences("When was Fort Coligny destroyed?", [hit], HashEmbedder())
    by_text = {s.text: s for s in ranked}
    assert leaned_on([hit], by_text["The fort was destroyed in 1560."]) == (
        "A fort, named Fort Coligny, was built on the island.",
        0,
    )
    assert leaned_on([hit], by_text["The river beside the town is wide and slow."]) is None
