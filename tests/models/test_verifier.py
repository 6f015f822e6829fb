"""The shipped claim verifier, run for real (rag/models/verifier_model/ with all-MiniLM-L6-v2)."""

import json

import pytest

from rag.errors import ModelNotFoundError
from rag.models.verifier import (
    PACKAGED_VERIFIER,
    MiniLMVectors,
    Verifier,
    create_verifier,
    packaged_verifier_folder,
    quoted,
    stated,
)

# Written for this test (not in the dev set or the training data): a reworded claim the evidence
# supports, and the same claim with one detail changed.
PAIRS = [
    (
        "The Ministry of Finance said on Monday that tax revenue grew 4.2 percent in the first half, helped by strong exports.",
        "Tax income rose by 4.2% in the first six months, according to the finance ministry.",
        "Tax income fell by 4.2% in the first six months, according to the finance ministry.",
    ),
    (
        "Shenzhen-based BYD delivered 380,000 electric cars in October, overtaking Tesla for the third month in a row.",
        "BYD, which is based in Shenzhen, handed over 380,000 EVs in October.",
        "BYD, which is based in Shanghai, handed over 380,000 EVs in October.",
    ),
    (
        "The new rail line between Chengdu and Chongqing cut the journey to 62 minutes when it opened in 2021.",
        "Since 2021 the trip from Chengdu to Chongqing by the new line takes about an hour.",
        "Since 2021 the trip from Chengdu to Chongqing by the new line takes about three hours.",
    ),
    (
        "Researchers at Tsinghua University reported that the chip uses 30% less power than its predecessor.",
        "A Tsinghua team said the chip draws less power than the previous model.",
        "A Tsinghua team said the chip draws more power than the previous model.",
    ),
    (
        "The central bank left its one-year loan prime rate unchanged at 3.1% in November.",
        "In November the one-year loan prime rate stayed at 3.1%.",
        "In November the one-year loan prime rate was cut to 3.1%.",
    ),
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return create_verifier(PACKAGED_VERIFIER)


def test_the_shipped_card_describes_the_model():
    card = json.loads((packaged_verifier_folder() / "verifier.json").read_text())
    floors = card["decision"]
    assert 0 < floors["similarity_floor"] < 1 and 0.1 < floors["coverage_floor"] == card["threshold"] < 1
    assert set(card["unsupported_when"]) <= set(card["features"])
    assert card["training"]["pairs"] > 1000 and "halueval_qa" not in json.dumps(card["training"]["sources"])


def test_a_reworded_claim_scores_above_the_same_claim_with_one_detail_changed(verifier):
    wins = 0
    for evidence, supported, changed in PAIRS:
        wins += verifier.support(supported, [evidence]).score > verifier.support(changed, [evidence]).score
    assert wins >= 4


def test_a_claim_copied_from_the_evidence_is_supported_and_an_absent_fact_is_not(verifier):
    evidence = PAIRS[1][0]
    assert verifier.support(evidence, [evidence]).supported
    assert not verifier.support("BYD opened a factory in Brazil in 1998.", [evidence]).supported


def test_a_bare_yes_claims_what_the_yes_no_question_asks():
    assert stated("Yes.", "Are Juniper and Cedrus both conifers?") == ("Are Juniper and Cedrus conifers", "")
    assert stated("No", "Are Juniper and Cedrus both conifers?") == ("No", "Are Juniper and Cedrus both conifers?")
    assert stated("yes", "Which tree is taller?") == ("yes", "Which tree is taller?")
    assert stated("Yes, both are conifers.", "Are they conifers?")[0] == "Yes, both are conifers."


def test_a_bare_yes_is_supported_only_when_the_evidence_says_what_was_asked(verifier):
    evidence = "Juniper is a conifer of the cypress family. Cedrus is a genus of conifers in the pine family."
    assert verifier.support("Yes.", [evidence], "Are Juniper and Cedrus both conifers?").supported
    assert not verifier.support("Yes.", [evidence], "Are Juniper and Cedrus both flowering shrubs of Peru?").supported
    assert not verifier.support("No.", [evidence], "Are Juniper and Cedrus both flowering shrubs of Peru?").supported


def test_a_bare_no_to_the_same_nationality_is_read_from_each_side(verifier):
    question = "Are Anna Berg and Tom Hale the same nationality?"
    evidence = "Anna Berg (born 1950) is a Swedish painter. Tom Hale (1901-1980) was an American writer."
    assert verifier.support("No.", [evidence], question).supported
    assert not verifier.support("yes", [evidence], question).supported


def test_restating_the_question_with_a_vague_answer_is_not_support(verifier):
    evidence = (
        "The Harbin Ice Festival is held every winter in Harbin. The city lies on the Songhua River, "
        "which supplies the ice blocks for its sculptures."
    )
    question = "The Harbin Ice Festival takes its ice from which river?"
    # As close to the evidence as the question is, and no closer: it answers nothing.
    assert not verifier.support(
        "The Harbin Ice Festival takes its ice from a nearby river.", [evidence], question
    ).supported
    assert verifier.support("The festival's ice comes from the Songhua River.", [evidence], question).supported


def test_a_whole_answer_must_give_what_is_asked_and_one_sentence_of_several_need_not(verifier):
    evidence = (
        "Grassmann's law is named after a German linguist. "
        "Hermann Grassmann (1809 - 1877) was a linguist and mathematician."
    )
    question = "Grassmann's law is named after a linguist born in which year?"
    claim = "Grassmann's law is named after a German linguist."  # the evidence's own words
    assert verifier.support(claim, [evidence], question, whole_answer=False).supported
    assert not verifier.support(claim, [evidence], question).supported  # true, and no year
    assert verifier.support("The linguist was born in 1809.", [evidence], question).supported


def test_a_sentence_quoted_from_a_longer_passage_is_supported(verifier):
    passage = (
        "Officials have recently signaled similar stances. Last week, the head of the planning agency said "
        'the country will adopt "extraordinary measures" to push for breakthroughs in critical technologies '
        "and to integrate science and industry more tightly across entire supply chains. Markets rose."
    )
    sentence = (
        "Last week, the head of the planning agency said the country will adopt “extraordinary measures” to "
        "push for breakthroughs in critical technologies and to integrate science and industry more tightly "
        "across entire supply chains."
    )
    assert quoted(sentence, passage) and verifier.support(sentence, [passage]).score == 1.0
    changed = sentence.replace("more tightly", "less tightly")
    assert not quoted(changed, passage) and verifier.support(changed, [passage]).score < 1.0
    assert not quoted("Markets rose.", passage), "too short to count as a statement"
    assert not quoted("the planning agency said the", passage + " the planning agency said the")


def test_a_long_passage_is_read_where_the_claim_aligns_and_the_best_passage_is_named(verifier):
    filler = " ".join(f"Sentence number {n} is about the weather in a distant town." for n in range(80))
    evidence, claim = PAIRS[4][0], "The one-year loan prime rate was unchanged at 3.1% in November."
    short = verifier.support(claim, [evidence])
    long = verifier.support(claim, [filler + " " + evidence])
    assert short.supported and long.supported
    best = verifier.support(claim, ["Rainfall was heavy in the south.", evidence])
    assert best.passage in (1, -1) and best.supported
    assert verifier.support(claim, []).passage is None
    answer = verifier.support("3.1%", [evidence], question="What was the one-year loan prime rate in November?")
    wrong = verifier.support("4.5%", [evidence], question="What was the one-year loan prime rate in November?")
    assert answer.score > wrong.score and not wrong.supported


def test_a_folder_without_a_verifier_is_a_clear_error(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no verifier in"):
        create_verifier(str(tmp_path))
    (tmp_path / "idf.json").write_text('{"idf": {}, "default": 8}')
    (tmp_path / "verifier.json").write_text("{}")
    with pytest.raises(ModelNotFoundError, match="is not a verifier card"):
        create_verifier(str(tmp_path))
    card = json.loads((packaged_verifier_folder() / "verifier.json").read_text())
    (tmp_path / "verifier.json").write_text(json.dumps({**card, "features": card["features"][:-1]}))
    with pytest.raises(ModelNotFoundError, match="features are not the ones"):
        create_verifier(str(tmp_path))
    (tmp_path / "verifier.json").write_text(json.dumps({**card, "schema_version": 2}))
    with pytest.raises(ModelNotFoundError, match="make train-verifier"):
        create_verifier(str(tmp_path))
    assert isinstance(create_verifier(str(packaged_verifier_folder())), Verifier)


class _CountingVectors(MiniLMVectors):
    _CACHED = 4

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def _encode(self, texts, fast):
        self.encoded += texts
        return [(len(t), t) for t in texts]


def test_vectors_already_cached_survive_when_the_cache_is_full():
    vectors = _CountingVectors()
    vectors.encode(["a", "b", "c"])
    # "a" is cached; "d" and "e" overflow the cache: "a" must still be returned, not lost.
    assert vectors.encode(["a", "d", "e"]) == [(1, "a"), (1, "d"), (1, "e")]
    assert vectors.encoded == ["a", "b", "c", "d", "e"]
    assert vectors.encode(["b"]) == [(1, "b")]
    assert vectors.encoded[-1] == "b"


def test_claims_checked_together_score_as_checked_one_by_one_and_encode_each_text_once(verifier):
    passages = [pair[0] for pair in PAIRS]
    claims = [(supported, passages[i : i + 2]) for i, (_, supported, _) in enumerate(PAIRS)]
    claims += [(changed, [passages[i]]) for i, (_, _, changed) in enumerate(PAIRS)]
    one_by_one = [verifier.support(claim, cited) for claim, cited in claims]
    fresh = Verifier(packaged_verifier_folder(), vectors=_RecordingVectors())
    together = fresh.support_all(claims)
    assert [s.supported for s in together] == [s.supported for s in one_by_one]
    assert [s.score for s in together] == pytest.approx([s.score for s in one_by_one], abs=2e-3)
    # One batch: the claims and each passage's pieces; passages read together reuse their pieces.
    assert len(fresh.vectors.batches) == 1
    assert len(fresh.vectors.batches[0]) == len(set(fresh.vectors.batches[0]))
    asked = Verifier(packaged_verifier_folder(), vectors=_RecordingVectors())
    asked.support_all(claims[:2], "What did the finance ministry report?")
    assert len(asked.vectors.batches) == 1 and "What did the finance ministry report?" in asked.vectors.batches[0]


class _RecordingVectors(MiniLMVectors):
    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[str]] = []

    def _encode(self, texts, fast):
        self.batches.append(list(texts))
        return super()._encode(texts, fast)


def test_bfloat16_vectors_agree_with_float32():
    import numpy as np

    texts = [pair[0] for pair in PAIRS]
    fast = MiniLMVectors(bfloat16=True)._encode(texts, fast=True)
    exact = MiniLMVectors(bfloat16=False)._encode(texts, fast=True)
    for a, b in zip(fast, exact, strict=True):
        assert float(np.dot(a.vector, b.vector)) > 0.999
        assert a.tokens.shape == b.tokens.shape


def test_a_text_has_the_same_token_vectors_alone_and_beside_a_longer_one():
    import numpy as np

    vectors = MiniLMVectors(bfloat16=False)
    short, long = "Exports fell.", PAIRS[0][0]
    alone = vectors._encode([short], fast=False)[0]
    beside = vectors._encode([short, long], fast=False)[0]
    assert alone.tokens.shape == beside.tokens.shape == (3, 384)  # "exports", "fell", "."
    assert np.allclose(alone.tokens, beside.tokens, atol=1e-4)


def test_a_name_opening_the_answer_must_be_named_by_the_evidence(verifier):
    evidence = "Maniac is an American short slasher film, directed by Shia LaBeouf. It was released in 2011."
    question = "Which actor directed the short slasher film Maniac?"
    assert not verifier.support("Timothy Olyphant directed Maniac.", [evidence], question).supported
    assert not verifier.support("Michael Jackson", [evidence], question).supported
    assert verifier.support("Shia LaBeouf directed Maniac.", [evidence], question).supported


def test_the_shipped_word_list_knows_words_usually_written_lower_case(verifier):
    assert {"many", "young", "will"} <= verifier.aligner.lower_case
    assert not {"george", "michael", "timothy"} & verifier.aligner.lower_case
