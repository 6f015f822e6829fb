"""The verifier's own evaluation sets (eval/verifier_dev.jsonl, eval/verifier_holdout.jsonl,
eval/verifier_written.jsonl) stay well formed: every line a claim, its evidence and a label of the
kinds the report counts."""

import json
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[2] / "eval"
LABELS = {"supported", "contradicted", "unrelated"}


@pytest.mark.parametrize(
    "name, at_least", [("verifier_dev.jsonl", 200), ("verifier_holdout.jsonl", 150), ("verifier_written.jsonl", 4000)]
)
def test_a_verifier_set_is_well_formed(name, at_least):
    items = [json.loads(line) for line in (EVAL / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(items) >= at_least
    assert len({item["id"] for item in items}) == len(items)
    for item in items:
        assert item["label"] in LABELS and item["kind"]
        assert item["claim"].strip() and item["evidence"].strip()
        assert item["claim"] != item["evidence"]


def test_the_holdout_set_shares_no_pair_with_the_dev_set():
    def pairs(name):
        lines = (EVAL / name).read_text(encoding="utf-8").splitlines()
        return {(json.loads(line)["claim"], json.loads(line)["evidence"]) for line in lines if line.strip()}

    assert not pairs("verifier_dev.jsonl") & pairs("verifier_holdout.jsonl")


def test_the_written_set_is_split_by_writer_from_news_and_abstracts():
    items = [json.loads(line) for line in (EVAL / "verifier_written.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {item["split"] for item in items} == {"tuning", "test"}
    for item in items:
        assert item["split"] == ("tuning" if item["part"] < 8 else "test")
        assert item["source"].split(":")[0] in ("halueval_summarization", "scifact")
