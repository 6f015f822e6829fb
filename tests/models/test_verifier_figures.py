import pytest

from rag.models.verifier_figures import rounded


@pytest.mark.parametrize(
    "claim, evidence, found",
    [
        ("About 1.3 billion people live there.", "Some 1,338 million people live there.", {"1300000000"}),
        ("1.3 billion people live there.", "1,338 million people live there.", {"1300000000"}),
        ("Exports made up 30% of output.", "Exports were 29.6% of output.", {"30"}),
        ("They made up nearly a quarter of GDP.", "They accounted for 24.6 percent of GDP.", {"25"}),
        ("About 130 firms took part.", "135 firms took part.", {"130"}),
    ],
)
def test_a_figure_rounded_or_said_to_be_approximate_is_the_evidence_s(claim, evidence, found):
    assert rounded(claim, evidence) == found


@pytest.mark.parametrize(
    "claim, evidence",
    [
        ("130 firms took part.", "135 firms took part."),  # not the rounding of 135
        ("They made up 20 percent of GDP.", "They made up 24 percent of GDP."),
        ("About 20 percent of GDP.", "24 percent of GDP."),  # too far, even said to be approximate
        ("The plant opened in about 1970.", "The plant opened in 1974."),  # years are not rounded
    ],
)
def test_a_changed_figure_is_not_a_rounding(claim, evidence):
    assert rounded(claim, evidence) == set()
