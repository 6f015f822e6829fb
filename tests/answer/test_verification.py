from dataclasses import replace

import pytest

from rag.answer.citations import resolve_citations
from rag.answer.pipeline import RagPipeline
from rag.answer.verification import cited_numbering, verify_answer
from rag.errors import ModelNotFoundError
from rag.ingest.update import update_index
from rag.types import Chunk, Hit
from tests.support.fakes import WordVerifier


def _hit(rank: int, text: str) -> Hit:
    chunk = Chunk(chunk_id=f"d:{rank}", doc_id="d", source="d.txt", title="D", text=text, start=0, end=len(text))
    return Hit(chunk=chunk, score=1.0, rank=rank)


HITS = [_hit(1, "Exports rose 8% in March."), _hit(2, "Imports fell 2% in March.")]


def test_each_sentence_is_checked_against_the_passages_it_cites():
    verifier = WordVerifier()
    verdicts = verify_answer("Exports rose 8% in March [1]. Imports fell 2% in March [1].", HITS, verifier)
    assert [(v.markers, v.supported) for v in verdicts] == [((1,), True), ((1,), False)]
    assert verifier.calls[1] == ("Imports fell 2% in March.", ("Exports rose 8% in March.",))
    assert verdicts[0].sentence == "Exports rose 8% in March [1]."


def test_an_uncited_sentence_is_checked_against_every_passage_and_bad_markers_are_ignored():
    verifier = WordVerifier()
    verdicts = verify_answer("Imports fell 2% in March. Exports rose [9].", HITS, verifier)
    assert verdicts[0].markers == () and verdicts[0].supported
    assert verifier.calls[0][1] == tuple(h.chunk.text for h in HITS)
    assert verdicts[1].markers == ()


def test_renumbered_markers_are_checked_against_the_passage_they_were_written_for():
    cited = resolve_citations("Imports fell 2% in March [2]. Exports rose 8% in March [1].", HITS)
    assert cited.text == "Imports fell 2% in March [1]. Exports rose 8% in March [2]."
    numbering = cited_numbering(cited.citations, HITS)
    assert numbering == {1: 2, 2: 1}
    verdicts = verify_answer(cited.text, HITS, WordVerifier(), numbering=numbering)
    assert [(v.markers, v.supported) for v in verdicts] == [((1,), True), ((2,), True)]
    assert not all(v.supported for v in verify_answer(cited.text, HITS, WordVerifier()))


def test_only_a_one_sentence_answer_is_read_as_the_whole_answer_to_the_question():
    verifier = WordVerifier()
    verify_answer("Exports rose 8% in March [1].", HITS, verifier, question="By how much did exports rise?")
    verify_answer("Exports rose [1]. They rose 8% in March [1].", HITS, verifier, question="By how much?")
    assert verifier.whole_answers == [True, False, False]


def test_a_sentence_of_markers_alone_gets_no_verdict():
    assert verify_answer("[1] [2]", HITS, WordVerifier()) == ()


@pytest.fixture
def verified(settings, embedder):
    update_index(settings, embedder=embedder)
    return RagPipeline(settings=replace(settings, verify_answers=True), embedder=embedder, verifier=WordVerifier())


def test_answers_carry_verdicts_in_json_and_notes_count_unsupported(verified):
    answer = verified.ask("Where was the Fuji apple developed?")
    assert answer.verdicts and all(v.supported for v in answer.verdicts)
    assert "verify" in answer.timings_ms
    record = answer.to_dict()
    assert record["verdicts"][0]["supported"] is True and record["verdicts"][0]["markers"]
    verified.verifier.share = 1.1  # nothing can be supported now
    answer = verified.ask("Where was the Fuji apple developed?")
    assert answer.unsupported == answer.verdicts
    assert any("not supported by the passages they cite" in note for note in answer.notes)


def test_refusals_get_no_verdicts(verified):
    verified.settings = replace(verified.settings, min_score=0.99)
    answer = verified.ask("Where was the Fuji apple developed?")
    assert answer.refused and answer.verdicts == ()


def test_a_missing_verifier_costs_the_verdicts_not_the_answer(settings, embedder, tmp_path):
    update_index(settings, embedder=embedder)
    pipeline = RagPipeline(settings=replace(settings, verify_answers=True, verifier=str(tmp_path)), embedder=embedder)
    answer = pipeline.ask("Where was the Fuji apple developed?")
    assert "Japan" in answer.text and answer.verdicts == ()
    assert any(note.startswith("answer sentences not verified: no verifier in") for note in answer.notes)
    with pytest.raises(ModelNotFoundError):
        from rag.models.verifier import create_verifier

        create_verifier(str(tmp_path / "absent"))
