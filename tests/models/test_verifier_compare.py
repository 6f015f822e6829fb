from rag.models.verifier_compare import same_attribute_answer

PEOPLE = "Anna Berg (born 1950) is a Swedish painter.Tom Hale (1901-1980) was an American writer."
GENERA = "Rosa is a genus in the rose family, Rosaceae. Tulipa is a genus of bulbs in the lily family, Liliaceae."


def test_a_bare_answer_to_the_same_nationality_is_read_per_side():
    question = "Are Anna Berg and Tom Hale the same nationality?"
    assert same_attribute_answer("no", question, PEOPLE) is True
    assert same_attribute_answer("Yes.", question, PEOPLE) is False
    same = "Anna Berg is a Swedish painter. Tom Hale is a Swedish-born writer."
    assert same_attribute_answer("yes", question, same) is True


def test_families_and_provinces():
    assert same_attribute_answer("no", "Do Rosa and Tulipa belong to the same family?", GENERA) is True
    towns = "Pizhou is a city in Jiangsu province. Jiujiang is a city in Jiangxi Province."
    assert same_attribute_answer("yes", "Are Pizhou and Jiujiang in the same province?", towns) is False


def test_nothing_is_decided_without_a_value_on_each_side_or_a_bare_answer():
    question = "Are Anna Berg and Tom Hale the same nationality?"
    assert same_attribute_answer("no", question, "Anna Berg is a painter. Tom Hale was a writer.") is None
    assert same_attribute_answer("No, she is Swedish.", question, PEOPLE) is None
    assert same_attribute_answer("no", "Did Anna Berg and Tom Hale meet?", PEOPLE) is None


def test_a_bare_answer_to_both_of_one_people_is_read_per_side():
    bands = "Oasis were an English rock band formed in Manchester.Oingo Boingo was an American new wave band."
    question = "Were the bands Oasis and Oingo Boingo both American bands?"
    assert same_attribute_answer("no", question, bands) is True
    assert same_attribute_answer("yes", question, bands) is False
    people = "Matt Willis is an English singer. The Mekons are a British punk band."
    assert (
        same_attribute_answer("yes", "Are both Matt Willis and The Mekons British?", people) is True
    )  # English is British
    assert same_attribute_answer("no", "Were Anna Berg and Tom Hale both from the USA?", PEOPLE) is True
    assert same_attribute_answer("no", "Are both Anna Berg and Tom Hale painters?", PEOPLE) is None  # no people asked
