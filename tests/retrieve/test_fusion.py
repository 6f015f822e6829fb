import numpy as np
import pytest

from rag.retrieve.fusion import convex_fusion, min_max, ranks_of, rrf_fusion


def test_min_max_hand_computed():
    assert min_max(np.array([2.0, 4.0, 3.0])).tolist() == [0.0, 1.0, 0.5]
    assert min_max(np.array([5.0, 5.0])).tolist() == [0.0, 0.0]
    assert min_max(np.array([])).size == 0


def test_convex_fusion_weights_each_normalized_score():
    fused = convex_fusion(np.array([0.9, 0.5, 0.7]), np.array([0.0, 10.0, 5.0]), 0.6)
    # dense normalized [1, 0, 0.5], lexical normalized [0, 1, 0.5]
    assert fused.round(6).tolist() == [0.6, 0.4, 0.5]
    assert convex_fusion(np.array([0.9, 0.5]), np.array([0.0, 10.0]), 1.0).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError, match="dense_weight"):
        convex_fusion(np.array([1.0]), np.array([1.0]), 1.5)


def test_ranks_of_breaks_ties_by_position_and_respects_membership():
    assert ranks_of(np.array([0.2, 0.9, 0.9])).tolist() == [3, 1, 2]
    listed = np.array([True, False, True])
    assert ranks_of(np.array([0.2, 0.9, 0.5]), listed).tolist() == [2, 0, 1]


def test_rrf_hand_computed():
    fused = rrf_fusion(np.array([1, 0, 2]), np.array([2, 1, 0]), k=60)
    assert fused.tolist() == pytest.approx([1 / 61 + 1 / 62, 1 / 61, 1 / 62])
    with pytest.raises(ValueError):
        rrf_fusion(np.array([1]), np.array([1]), k=0)
