from rag.models.verifier_words import claim_names, names_in, parted_sentences, possessives_parted, stem


def test_names_skip_a_sentence_s_opening_word():
    assert names_in("Exports rose in March, the Ministry said.") == ["March", "Ministry"]
    assert names_in("The United States is the largest producer.") == []


def test_a_claim_s_names_include_one_opening_after_an_article_and_part_at_a_possessive():
    assert claim_names("The United States is the largest producer.") == ["United States"]
    assert claim_names("Are John Collier and Martin Amis poets?") == ["John Collier", "Martin Amis"]
    claim = "The Communist Party's Central Committee met in Beijing."
    assert claim_names(claim) == ["Communist Party's Central Committee", "Beijing"]
    assert possessives_parted(claim_names(claim)) == ["Communist Party", "Central Committee", "Beijing"]


def test_a_name_opening_a_claim_counts_unless_its_first_word_is_usually_lower_case():
    lower_case = frozenset({"many", "young"})
    assert claim_names("Timothy Olyphant directed Maniac.", lower_case) == ["Timothy Olyphant", "Maniac"]
    assert claim_names("Michael Jackson", lower_case) == ["Michael Jackson"]
    assert claim_names("Many Chinese firms export.", lower_case) == ["Chinese"]
    assert claim_names("Young Thug had a debut single.", lower_case) == ["Thug"]
    assert claim_names("Yesterday it rained.", lower_case | {"yesterday"}) == []
    assert claim_names("Asymptotically, quicksort is slower. Italy won.") == ["Italy"]  # a long adverb


def test_an_irregular_verb_s_past_forms_stem_as_its_base():
    assert stem("wrote") == stem("written") == stem("writes") and stem("taught") == stem("teaching")
    assert stem("found") != stem("find")  # "found" a company


def test_sentences_run_together_are_parted_after_words_and_acronyms_not_initials():
    text = "She reports for MSNBC.Mia Tyler is an actress.Her father sings. J.R.R. Tolkien wrote."
    assert parted_sentences(text) == [
        "She reports for MSNBC.",
        "Mia Tyler is an actress.",
        "Her father sings.",
        "J.R.R. Tolkien wrote.",
    ]


def test_a_name_keeps_its_digits():
    names = claim_names("Fibroblasts release more CCL2, CCL5 and SOX9 than before, COVID-19 aside.")
    assert {"CCL2", "CCL5", "SOX9", "COVID"} <= set(names)
