"""The refusal gate of the local generator: a logits processor deciding at the first token."""

import numpy as np
import pytest

from rag.answer.generators.local import LocalGenerator, _RefusalGate, _usage
from rag.models.local_llm import LocalLLM


def _scores(refusal_logit: float, other_logit: float = 1.0) -> np.ndarray:
    scores = np.zeros(10, dtype=np.float32)
    scores[3] = refusal_logit
    scores[7] = other_logit
    return scores


def test_probability_is_recorded_and_greedy_left_alone_at_zero_threshold():
    gate = _RefusalGate(token=3, threshold=0.0)
    scores = _scores(5.0)
    out = gate(None, scores.copy())
    assert gate.probability == pytest.approx(np.exp(5) / (np.exp(5) + np.exp(1) + 8))
    assert not gate.refuse and np.array_equal(out, scores)


def test_refuses_at_or_above_the_threshold():
    gate = _RefusalGate(token=3, threshold=0.3)
    gate(None, _scores(2.0, 2.0))  # p = e^2 / (2 e^2 + 8) ≈ 0.40
    assert gate.refuse


def test_below_the_threshold_the_refusal_token_is_banned():
    gate = _RefusalGate(token=3, threshold=0.9)
    out = gate(None, _scores(3.0))
    assert not gate.refuse and out[3] == -np.inf and int(np.argmax(out)) == 7


def test_only_the_first_token_is_gated():
    gate = _RefusalGate(token=3, threshold=0.9)
    gate(None, _scores(3.0))
    later = _scores(3.0)
    assert np.array_equal(gate(None, later.copy()), later)


def test_threshold_is_validated(tmp_path):
    with pytest.raises(ValueError, match="refusal_threshold"):
        LocalGenerator(LocalLLM(tmp_path / "m.gguf"), refusal_threshold=1.0)
    with pytest.raises(ValueError, match="n_ctx"):
        LocalLLM(tmp_path / "m.gguf", n_ctx=128)


def test_usage_counts_reused_prefix():
    before = np.array([1, 2, 3, 4, 9, 9])
    after = np.array([1, 2, 3, 4, 5, 6, 7, 8])
    usage = _usage(before, after, completion_tokens=4)  # role chunk + 2 tokens + finish chunk
    assert usage == {"prompt_tokens": 6, "cached_tokens": 4, "completion_tokens": 2}
