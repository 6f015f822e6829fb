import importlib.util
import random
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "calibrate_refusal", Path(__file__).resolve().parents[2] / "eval" / "calibrate_refusal.py"
)
calibrate_refusal = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(calibrate_refusal)


def _items(n=200, seed=0):
    rng = random.Random(seed)
    items = []
    for k in range(n):
        answerable = k % 2 == 0
        # p says little; a weak best sentence says a lot.
        p = min(max(rng.gauss(0.12 if answerable else 0.16, 0.05), 0.01), 0.9)
        score = rng.gauss(0.75 if answerable else 0.5, 0.08)
        items.append(
            {
                "answerable": answerable,
                "refused": False,
                "answer": "An answer [1].",
                "correct": 1.0 if answerable else None,
                "refusal_probability": round(p, 4),
                "evidence_score": score,
                "extractive_refused": 0.0,
            }
        )
    return items


def test_evidence_weights_are_fitted_and_beat_p_alone():
    items = _items()
    weights = calibrate_refusal.fit_weights(items)
    assert weights["sentence_weight"] > 1
    alone, _ = calibrate_refusal.choose(items)
    with_evidence, _ = calibrate_refusal.choose(items, weights)
    assert with_evidence["balanced"] > alone["balanced"] + 0.1
    held_out = calibrate_refusal.scores(_items(seed=1), with_evidence["threshold"], weights)
    assert held_out["balanced"] > 0.8


def test_outcome_reads_the_recorded_refusals():
    item = {"answerable": True, "refused": False, "answer": "[1]", "correct": 1.0, "refusal_probability": 0.01}
    assert calibrate_refusal.outcome(item, 0.5) == (True, False)  # markers only: no answer
    item["answer"] = "Japan [1]."
    assert calibrate_refusal.outcome(item, 0.5) == (False, True)
    assert calibrate_refusal.outcome(item, 0.01) == (True, False)
