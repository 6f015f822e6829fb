"""Bootstrap confidence intervals and the paired bootstrap test, with a fixed seed (deterministic)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["SEED", "RESAMPLES", "bootstrap_ci", "bootstrap_stat_ci", "paired_bootstrap"]

SEED = 12345
RESAMPLES = 2000


def _round(value: float) -> float:
    return round(float(value), 6)


def bootstrap_ci(
    values: Sequence[float | None], level: float = 0.95, resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, float | int | None]:
    """Mean of the defined values with a percentile bootstrap interval.

    Returns {"mean", "ci_low", "ci_high", "n"}; all None (n = 0) when no value is defined.
    """
    data = np.array([v for v in values if v is not None], dtype=np.float64)
    if data.size == 0:
        return {"mean": None, "ci_low": None, "ci_high": None, "n": 0}
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    alpha = (1 - level) / 2
    return {
        "mean": _round(data.mean()),
        "ci_low": _round(np.quantile(means, alpha)),
        "ci_high": _round(np.quantile(means, 1 - alpha)),
        "n": int(data.size),
    }


def bootstrap_stat_ci(
    n_items: int,
    statistic: Callable[[np.ndarray], float | None],
    level: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float | None, float | None]:
    """Interval for a statistic over item indices (e.g. abstention F1); undefined resamples are skipped."""
    if n_items == 0:
        return None, None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        value = statistic(rng.integers(0, n_items, size=n_items))
        if value is not None:
            values.append(value)
    if not values:
        return None, None
    alpha = (1 - level) / 2
    return _round(np.quantile(values, alpha)), _round(np.quantile(values, 1 - alpha))


def paired_bootstrap(
    a: dict[str, float | None], b: dict[str, float | None], resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, float | int | None]:
    """Difference mean(b) - mean(a) over ids defined in both, its 95 % interval and a two-sided p-value.

    The p-value is twice the share of resampled differences on the far side of zero (capped at 1).
    """
    ids = sorted(i for i in a.keys() & b.keys() if a[i] is not None and b[i] is not None)
    if not ids:
        return {"n": 0, "diff": None, "ci_low": None, "ci_high": None, "p_value": None}
    diffs = np.array([b[i] - a[i] for i in ids], dtype=np.float64)  # type: ignore[operator]
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, diffs.size, size=(resamples, diffs.size))].mean(axis=1)
    observed = diffs.mean()
    if observed == 0 and not diffs.any():
        p = 1.0
    elif observed >= 0:
        p = min(1.0, 2 * float(np.mean(means <= 0)))
    else:
        p = min(1.0, 2 * float(np.mean(means >= 0)))
    return {
        "n": len(ids),
        "diff": _round(observed),
        "ci_low": _round(np.quantile(means, 0.025)),
        "ci_high": _round(np.quantile(means, 0.975)),
        "p_value": _round(p),
    }
