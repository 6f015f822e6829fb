from rag.index.lexical import LexicalIndex, lexical_text, tokenize


def test_tokenize_stems_and_drops_stopwords():
    assert tokenize(["The rivers are flowing"]) == [["river", "flow"]]


def test_bm25_ranks_matching_rows_and_survives_a_round_trip(tmp_path):
    texts = ["The Yangtze river flows east.", "Apples grow in orchards.", "Rivers and the Yangtze delta."]
    lexical = LexicalIndex.build(texts)
    scores, rows = lexical.search("Yangtze rivers", 5)
    assert sorted(rows.tolist()) == [0, 2] and (scores > 0).all()
    assert lexical.scores("nothing matches here").tolist() == [0.0, 0.0, 0.0]
    lexical.write(tmp_path / "lex")
    again = LexicalIndex.read(tmp_path / "lex")
    assert again.count == 3
    assert again.scores("Yangtze rivers").tolist() == lexical.scores("Yangtze rivers").tolist()


def test_empty_index(tmp_path):
    lexical = LexicalIndex.build([])
    assert lexical.count == 0 and lexical.search("anything", 3)[1].size == 0
    lexical.write(tmp_path / "lex")
    assert LexicalIndex.read(tmp_path / "lex").count == 0


def test_lexical_text_repeats_the_title_once():
    assert lexical_text("Rivers", "The Yangtze flows.") == "Rivers\nThe Yangtze flows."
    assert lexical_text("Rivers", "Rivers\n\nThe Yangtze flows.") == "Rivers\n\nThe Yangtze flows."
    assert lexical_text("", "text") == "text"
