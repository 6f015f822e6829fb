from rag.models.verifier_words import claim_names, names_in, possessives_parted


def test_names_skip_a_sentence_s_opening_word():
    assert names_in("Exports rose in March, the Ministry said.") == ["March", "Ministry"]
    assert names_in("The United States is the largest producer.") == []


def test_a_claim_s_names_include_one_opening_after_an_article_and_part_at_a_possessive():
    assert claim_names("The United States is the largest producer.") == ["United States"]
    assert claim_names("Are John Collier and Martin Amis poets?") == ["Martin Amis"]  # "Are" is no article
    claim = "The Communist Party's Central Committee met in Beijing."
    assert claim_names(claim) == ["Communist Party's Central Committee", "Beijing"]
    assert possessives_parted(claim_names(claim)) == ["Communist Party", "Central Committee", "Beijing"]
