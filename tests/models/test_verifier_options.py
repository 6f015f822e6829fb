import pytest

from rag.models.verifier_options import amount_conflict, option_conflict, order_conflict, question_options


def test_which_came_first_by_year():
    evidence = "Java is a game published in 2000.Tikal is a game published in 1999."
    assert order_conflict("Java was published before Tikal.", evidence, "")
    assert not order_conflict("Tikal was published before Java.", evidence, "")
    assert order_conflict("Java", evidence, "Was Java or Tikal published first?")
    assert not order_conflict("Java", evidence, "Was Java or Tikal published later?")
    assert not order_conflict("Java was published before Tikal.", "Java and Tikal are games.", "")


@pytest.mark.parametrize(
    ("question", "options"),
    [
        ("Was Java or Tikal published first?", ("Java", "Tikal")),
        ("Which film director was born in 1908 - Tex Avery or John G. Blystone?", ("Tex Avery", "John G. Blystone")),
        ("Which magazine came first, Arthur's Magazine or First for Women?", ("Arthur's Magazine", "First for Women")),
        ("Which director is also a writer, Serge de Poligny or Ric Viers?", ("Serge de Poligny", "Ric Viers")),
        (
            "Which composer was Hungarian, Béla Bartók or Johann Christoph Pepusch?",
            ("Béla Bartók", "Johann Christoph Pepusch"),
        ),
        ('Which is older, "Oceans" or "Don Quixote"?', ("Oceans", "Don Quixote")),
        ("Who founded Brave New Films?", None),
    ],
)
def test_the_options_a_question_offers(question, options):
    assert question_options(question) == options
    assert question_options("Is it red or blue?") is None


def test_the_option_whose_sentences_lack_the_asked_trait_conflicts():
    evidence = (
        "Mira Okafor (born 1971) is a Nigerian sculptor and painter.Tomas Lindqvist is a Swedish painter. "
        "He also works as a stage designer in Malmö."
    )
    question = "Which painter is also a stage designer, Mira Okafor or Tomas Lindqvist?"
    assert option_conflict("Mira Okafor is also a stage designer.", evidence, question)
    assert option_conflict("Okafor", evidence, question)
    assert not option_conflict("Tomas Lindqvist", evidence, question)
    # Numbers are traits too; a comparison asks what both have; naming both picks neither.
    assert not option_conflict(
        "Mira Okafor", evidence, "Which painter was born in 1971, Mira Okafor or Tomas Lindqvist?"
    )
    assert not option_conflict("Mira Okafor", evidence, "Which painter is older, Mira Okafor or Tomas Lindqvist?")
    assert not option_conflict("Mira Okafor and Tomas Lindqvist", evidence, question)


def test_a_trait_said_before_either_option_is_named_may_be_either_s():
    evidence = (
        "The 15th animated feature of the studio, it was the first filmed in widescreen. Harbour Lights tells "
        "the story of a lighthouse keeper.Grey Tide is a 2006 drama film set in Norway."
    )
    question = "Which was the studio's 15th animated feature film, Harbour Lights or Grey Tide?"
    assert not option_conflict("Harbour Lights", evidence, question)


def test_an_option_s_sentence_run_together_after_an_acronym_is_its_own():
    question = "Which is a correspondent for NBC, Janet Shamlian or Mia Tyler?"
    evidence = (
        "Janet Shamlian is a correspondent for NBC News and reports for MSNBC.Mia Abagale Tallarico, "
        "better known as Mia Tyler, is an American actress and model."
    )
    assert option_conflict("Mia Tyler also reports for NBC.", evidence, question)
    assert not option_conflict("Janet Shamlian reports for NBC.", evidence, question)


def test_which_came_first_finds_a_name_by_its_last_word_and_reads_deaths_at_a_span_s_end():
    evidence = (
        "Howard Phillips Lovecraft (August 20, 1890 – March 15, 1937) was an American author."
        "Timothy Francis Leary (October 22, 1920 – May 31, 1996) was an American psychologist."
    )
    question = "Who died at an earlier date, H. P. Lovecraft or Timothy Leary?"
    assert order_conflict("Timothy Leary died earlier.", evidence, question)
    assert not order_conflict("H. P. Lovecraft", evidence, question)
    # Deaths are read at the span's end: born later, died first.
    evidence = "Ann Vole (1950 – 1990) was a poet. Bea Lark (1940 – 2010) was a poet."
    assert order_conflict("Bea Lark", evidence, "Who died first, Ann Vole or Bea Lark?")
    assert not order_conflict("Ann Vole", evidence, "Who died first, Ann Vole or Bea Lark?")


def test_a_year_is_read_in_the_sentence_that_names_the_option():
    evidence = (
        "Emily Grace Whitehurst (born July 23, 1979) is an American singer.Anette Ingegerd Olsson (born "
        "21 June 1971), known by the stage name Anette Olzon, sang with Nightwish from 2007 to 2012."
    )
    question = "Who is younger, Emily Whitehurst or Anette Olzon?"
    assert not order_conflict("Emily Grace Whitehurst", evidence, question)
    assert order_conflict("Anette Olzon", evidence, question)


def test_which_has_more_reads_the_figure_beside_what_is_counted():
    evidence = (
        "Paulownia is a genus of six to 17 species of flowering plants.Dendromecon, the tree poppy, is a genus of "
        "one or two species of shrubs, described in 1840."
    )
    question = "Which genus contains a larger variety of species, Paulownia or Dendromecon?"
    assert amount_conflict("Dendromecon has a larger variety.", evidence, question)
    assert not amount_conflict("Paulownia", evidence, question)
    assert amount_conflict("Dendromecon has more species than Paulownia.", evidence, question)
    assert not amount_conflict("Dendromecon", evidence, "Which genus has fewer species, Paulownia or Dendromecon?")
    assert not amount_conflict("Dendromecon", "Paulownia has 17 species. Dendromecon is a shrub.", question)


def test_options_joined_by_and_after_out_of_or_between():
    question = "Who was born first out of Rupert Julian and Robert Z. Leonard?"
    assert question_options(question, compared=True) == ("Rupert Julian", "Robert Z. Leonard")
    assert question_options(question) is None
    assert question_options("What was the first album of the band of Ann Lee and Bo Li?", compared=True) is None
