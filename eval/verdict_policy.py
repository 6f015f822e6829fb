"""What an answer sentence the claim verifier judges unsupported should do, measured on recorded runs.

Usage:
    python eval/verdict_policy.py RESULT.json [RESULT.json ...] [--questions FILE | --squad2 DIR]
        [--calibration eval/refusal_calibration.json] [--out FILE]

Each RESULT is a `eval/generator_eval.py` run; its items carry the verifier's verdict on every
answer sentence (`verdicts`: sentence, score, supported). Runs of the local LLM made at refusal
threshold 0.99 (see eval/calibrate_refusal.py) are first gated as the shipped gate would
(`--calibration`'s "with_evidence" threshold and weights), so the policies start from the answers
users get. The policies, applied to every answer that was not refused:
- `flag`: the answer is kept and its unsupported sentences are marked (what `verify_answers` does);
- `drop`: unsupported sentences are removed; an answer left with none is a refusal;
- `refuse_any`: one unsupported sentence refuses the whole answer;
- `refuse_all`: the answer is refused only when no sentence is supported.
Correctness is whether the (remaining) answer contains a reference answer, as in generator_eval.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from calibrate_refusal import outcome  # noqa: E402
from generator_eval import _pct  # noqa: E402

from rag.evaluate.metrics import contains_any, mean  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
POLICIES = ("flag", "drop", "refuse_any", "refuse_all")


def references(args: argparse.Namespace) -> dict[str, list[str]]:
    if args.squad2:
        path = Path(args.squad2) / "dev_sample400.jsonl"
    else:
        path = Path(args.questions)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["id"]: row.get("answers") or [] for row in rows}


def gated(item: dict, gate: dict) -> bool:
    """Whether the answer is refused before the verifier has a say."""
    if item.get("refusal_probability") is None:
        return bool(item["refused"])
    return outcome(item, gate["threshold"], gate["weights"])[0]


def apply(policy: str, item: dict, answers: list[str], gate: dict) -> tuple[bool, float | None, int]:
    """(refused, correct, unsupported sentences shown) of one answer under `policy`."""
    if gated(item, gate) or "verdicts" not in item:
        return True, (0.0 if answers else None), 0
    verdicts = item["verdicts"]
    unsupported = [v for v in verdicts if not v[2]]
    kept = [v[0] for v in verdicts]
    refused = False
    if policy == "drop":
        kept = [v[0] for v in verdicts if v[2]]
        refused = not kept
    elif policy == "refuse_any":
        refused = bool(unsupported)
    elif policy == "refuse_all":
        refused = bool(verdicts) and len(unsupported) == len(verdicts)
    if refused:
        return True, (0.0 if answers else None), 0
    correct = contains_any(" ".join(kept), answers) if answers else None
    return False, correct, len(unsupported) if policy != "drop" else 0


def measure(items: list[dict], refs: dict[str, list[str]], gate: dict) -> dict:
    report = {}
    for policy in POLICIES:
        rows = [(i, *apply(policy, i, refs.get(i["id"], []), gate)) for i in items]
        answerable = [r for r in rows if r[0]["answerable"]]
        unanswerable = [r for r in rows if not r[0]["answerable"]]
        shown = [r for r in rows if not r[1]]
        report[policy] = {
            "correct_on_answerable": mean([r[2] or 0.0 for r in answerable]),
            "false_refusal": mean([float(r[1]) for r in answerable]),
            "refusal_on_unanswerable": mean([float(r[1]) for r in unanswerable]),
            "answers_with_a_flagged_sentence": mean([float(r[3] > 0) for r in shown]),
        }
    scored = [v for i in items for v in i.get("verdicts", [])]
    report["sentences"] = len(scored)
    report["supported_share"] = mean([float(v[2]) for v in scored])
    report["verify_ms"] = _pct([i["verify_ms"] for i in items if "verify_ms" in i])
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--questions", default=str(REPO / "eval" / "seed_questions.jsonl"))
    parser.add_argument("--squad2", help="SQuAD 2.0 sample folder (its dev_sample400.jsonl has the references)")
    parser.add_argument("--calibration", default=str(REPO / "eval" / "refusal_calibration.json"))
    parser.add_argument("--out")
    args = parser.parse_args()
    try:
        refs = references(args)
        calibration = json.loads(Path(args.calibration).read_text(encoding="utf-8"))["with_evidence"]
    except (OSError, ValueError, KeyError) as exc:
        sys.exit(f"error: cannot read the questions or the refusal calibration: {exc!r}")
    gate = {"threshold": calibration["chosen"]["threshold"], "weights": calibration["weights"]}
    report = {}
    for name in args.results:
        try:
            run = json.loads(Path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            sys.exit(f"error: cannot read {name}: {exc}")
        if not any("verdicts" in i for i in run["items"]):
            sys.exit(f"error: {name} has no verdicts; re-run it with today's eval/generator_eval.py")
        report[name] = {"generator": run["generator"], **measure(run["items"], refs, gate)}
    text = json.dumps(report, indent=1)
    if args.out:
        Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
