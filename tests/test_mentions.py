import pytest

from rag.mentions import figures_beside, mentions, names_acronym, names_name, numbers, plain


def test_plain_dashes_and_quotes():
    assert (
        plain("the Fifteenth Five\u2011Year plan, China\u2019s \u201cpath\u201d")
        == 'the Fifteenth Five-Year plan, China\'s "path"'
    )


def test_numbers_in_one_canonical_form():
    assert numbers("Sales of 1,200 units, up 4.5%, twice the 2019 level.") == {"1200", "4.5", "2019", "2"}
    # The same amount, written two ways, is one number.
    assert numbers("1,300 billion yuan") == numbers("1.3 trillion yuan") == {"1300000000000"}
    assert numbers("$180 billion") == numbers("180 billion US dollars") == {"180000000000"}
    assert numbers("five hundred colonists") == {"500"}
    assert numbers("the 15th plan (2026-30)") == {"15", "2026", "2030"}
    assert numbers("for at least ten years") == numbers("in at least a decade") == {"10"}


def test_one_is_not_a_number_word_but_other_figures_differ():
    assert numbers("Photovoltaics is one of the industries") == set()
    assert numbers("1.3 trillion") != numbers("1.4 trillion")
    assert numbers("2026-30") != numbers("2026-2031")


@pytest.mark.parametrize(
    ("acronym", "text"),
    [
        ("NDRC", "Zheng Shanjie, head of the National Development and Reform Commission, said"),
        ("CPC", "the fourth plenary session of the Communist Party of China"),
        ("EVs", "industries ranging from electric vehicles to robotics"),
        ("AI", "such as artificial intelligence"),
        ("FIFO", "using first-in, first-out buffering"),
        ("US", "competition with the United States"),
        ("US", "US sanctions"),
        ("CPPCC", "the National Committee of the Chinese People's Political Consultative Conference"),
        ("NPC", "the Third Session of the 14th National People’s Congress"),
    ],
)
def test_an_acronym_is_named_by_its_spelled_out_words(acronym, text):
    assert names_acronym(acronym, text)


@pytest.mark.parametrize(
    ("acronym", "text"),
    [
        ("US", "they told us so"),  # a pronoun, not the country
        ("AI", "an important idea"),  # "an" starts no spelled-out word
        ("NHC", "the National Development and Reform Commission"),
    ],
)
def test_an_acronym_is_not_named_by_chance_letters(acronym, text):
    assert not names_acronym(acronym, text)


def test_a_name_written_another_way_is_named():
    text = "Similarly, a writer maintains it explains the Iranian Islamic Revolution; British forces left."
    assert names_name("Iran's Islamic Revolution", text)
    assert names_name("Britain", text)
    assert names_name("Zheng Shanjie", "Last week, Zheng Shanjie, head of the commission, said")
    assert names_name("Western", "export controls from the West") and names_name("West", "Western sanctions")


def test_a_name_whose_words_are_scattered_or_changed_is_not_named():
    text = "Goose Rocks Light is near North Haven in Penobscot Bay, an inlet in south central Maine."
    assert not names_name("South Bay", text)
    assert not names_name("Goose Island Light", text)
    assert not names_name("Li Wei", "lithium weighs little")
    assert names_name("Penobscot Bay", text) and names_name("Goose Rocks Light", text)


def test_a_dotted_section_number_is_kept_as_written():
    assert numbers("see section 3.2.1 and 4.5") == {"3.2.1", "4.5"}


def test_a_country_is_named_by_its_demonym_either_way():
    assert mentions("the growth of the irish linen industry", "ireland")
    assert mentions("the irish linen industry", "irish") and mentions("a visit to ireland", "irish")
    assert mentions("dutch traders", "netherlands") and not mentions("traders from dublin", "ireland")


def test_figures_with_the_word_after_them():
    assert figures_beside("It has 1,200 units, 5% growth, three Advocate Generals and 2 billion yuan.") == {
        ("1200", "units"),
        ("5", "percent"),
        ("3", "advocate"),
    }
    assert figures_beside("Located in Manhattan.55 Hudson Yards, 3.5 metres") == {("55", "hudson"), ("3.5", "metres")}


def test_a_demonym_is_read_as_the_name_s_last_word_only():
    assert mentions("south korea said", "south korean") and mentions("in china", "chinese")
    assert not names_name("World War III", "towards the end of World War II.")
    assert not names_name("Henry VIII", "Henry VII was king")
    assert not mentions("ronald mcdonald", "ronald reagan")


def test_number_words_ordinals_compounds_and_fractions():
    assert numbers("Thirteen winners") == {"13"} and numbers("the Fifteenth Five-Year period") >= {"15"}
    assert numbers("twenty-five people") == {"25"} and numbers("the twenty-first century") == {"21"}
    assert numbers("four-fifths of buildings") == numbers("80 percent of buildings") == {"80"}
    assert numbers("a third of voters") == {"33"} and numbers("two thirds") == {"67"}
    assert numbers("a third party") == {"3"}  # an ordinal, not a fraction
    assert numbers("the first time, a second look") == set()
    assert numbers("doubling its spending") == {"2"} and numbers("tripled output") == {"3"}
    assert numbers("a quadruple bypass") == {"4"} and numbers("a threefold rise") == {"3"}


def test_a_share_said_as_x_in_y_is_its_percentage():
    assert numbers("nine in ten cattle") == numbers("90% of cattle") == {"90"}
    assert numbers("1 in 4 adults") == {"25"} and numbers("two out of three voters") == {"67"}
    assert numbers("one in a hundred") == {"1"}
    assert numbers("5 in 2010") == {"5", "2010"}  # a year is no whole
    assert numbers("ten in five") == {"10", "5"}  # more than the whole: no share
    assert numbers("3 in 10 minutes") == {"3", "10"}  # a count in a time


def test_a_hyphen_joined_name_is_named_part_by_part():
    evidence = "Wednesday's game between the Baltimore Orioles and Chicago White Sox will be closed."
    assert names_name("Orioles-White Sox", evidence)
    assert names_name("Israel-Lebanon", "the border between Israel and Lebanon")
    assert not names_name("Orioles-Red Sox", evidence)


def test_us_and_uk_are_named_by_their_demonyms():
    assert names_acronym("US", "an American YouTube user") and names_acronym("UK", "British companies")
    assert not names_acronym("UK", "French companies")
