from rag.models.verifier_training.fit import build_idf


def test_words_written_lower_case_inside_sentences_are_listed():
    documents = [
        "George said many things. Many people were young voters.",
        "Officials met George. Many were young and many were old.",
        "Voters were young and many. George left.",
    ]
    table = build_idf(documents)
    assert {"many", "young", "were"} <= set(table["lower_case"])
    assert "george" not in table["lower_case"]  # written capitalised wherever it stands
    assert table["documents"] == 3 and table["idf"]
