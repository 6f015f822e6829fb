"""`rag eval` end to end with the real packaged embedder and the extractive generator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.serve.cli import main
from tests.support.paths import SEEDS

pytestmark = pytest.mark.slow

QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "seed_questions.jsonl"
KEEP = {"seed-001", "seed-003", "seed-013", "seed-015", "seed-017", "seed-055"}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    corpus = root / "corpus"
    corpus.mkdir()
    for name in ("000_8ffd45b442800ac1.txt", "001_65bfde939c6d01b6.txt"):
        shutil.copy(SEEDS / name, corpus / name)
    lines = [line for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] in KEEP]
    (root / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["--index-dir", str(root / "index"), "index", str(corpus)]) == 0
    return root


def _eval(workdir: Path, out: str, *extra: str) -> dict:
    rc = main(
        [
            "--index-dir",
            str(workdir / "index"),
            "eval",
            str(workdir / "questions.jsonl"),
            "--out",
            str(workdir / out),
            "-g",
            "extractive",
            *extra,
        ]
    )
    assert rc == 0
    summary = json.loads((workdir / out / "summary.json").read_text(encoding="utf-8"))
    summary.pop("metadata")
    return summary


def test_eval_writes_reports_and_is_deterministic(workdir, capsys):
    first = _eval(workdir, "run1")
    run = workdir / "run1"
    for name in (
        "items.jsonl",
        "report.md",
        "report.html",
        "plots/metrics.png",
        "plots/retrieval_ranks.png",
        "plots/faithfulness.png",
    ):
        assert (run / name).stat().st_size > 0, name
    items = [json.loads(line) for line in (run / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(KEEP) and first["counts"]["unanswerable"] == 1
    for item in items:
        for key, value in item["metrics"].items():
            assert value is not None or key in item["reasons"], (item["id"], key)
    assert "NaN" not in (run / "summary.json").read_text(encoding="utf-8")
    assert first["metrics"]["hit_at_k"]["mean"] >= 0.8 and first["metrics"]["contains_answer"]["mean"] >= 0.6
    assert "<img src='plots/metrics.png'" in (run / "report.html").read_text(encoding="utf-8")
    assert first["judge"]["name"] == "verifier"  # the default judge
    capsys.readouterr()
    assert _eval(workdir, "run1") == first  # resumed: nothing re-answered, same numbers
    assert "already answered 6" in capsys.readouterr().out
    assert _eval(workdir, "run2") == first  # answered again from scratch: same numbers


def test_answers_citing_the_wrong_passage_score_lower(workdir, capsys):
    good = workdir / "run1"
    if not (good / "summary.json").exists():
        _eval(workdir, "run1")
    bad = workdir / "corrupt"
    bad.mkdir()
    corrupted = []
    for line in (good / "answers.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if not record["refused"] and record["citations"]:
            cited = record["citations"][0]["chunk_id"]
            # An answer taken from a passage of the other article, still citing the original passage.
            others = [
                p
                for p in record["passages"]
                if p["doc_id"] != record["citations"][0]["doc_id"] and p["chunk_id"] != cited
            ]
            other = others[-1] if others else record["passages"][-1]
            record["answer"] = other["text"].split(". ")[0].strip().rstrip(".") + ". [1]"
        corrupted.append(json.dumps(record))
    (bad / "answers.jsonl").write_text("\n".join(corrupted) + "\n", encoding="utf-8")
    worse = _eval(workdir, "corrupt")
    better = json.loads((good / "summary.json").read_text(encoding="utf-8"))
    for metric in ("faithfulness", "citation_precision", "contains_answer"):
        assert worse["metrics"][metric]["mean"] < better["metrics"][metric]["mean"], metric
    capsys.readouterr()
    assert main(["eval", "compare", str(good), str(bad)]) == 0
    table = capsys.readouterr().out
    assert "| faithfulness |" in table and "| significant |" in table
