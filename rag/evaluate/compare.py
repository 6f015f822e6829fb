"""`rag eval compare RUN_A RUN_B`: per-metric differences between two runs, paired bootstrap."""

from __future__ import annotations

import json
from pathlib import Path

from rag.errors import InputError
from rag.evaluate.scoring import METRICS
from rag.evaluate.stats import paired_bootstrap

__all__ = ["compare_runs", "format_comparison"]


def _items(run: Path) -> dict[str, dict]:
    path = run / "items.jsonl"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise InputError(f"{run}: no items.jsonl (is it an eval run folder?)") from None
    items = {}
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
            items[record["id"]] = record["metrics"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise InputError(f"{path}:{number}: unreadable item record") from None
    return items


def compare_runs(run_a: Path, run_b: Path) -> dict[str, dict]:
    """For each metric: B - A over the items both runs define, with its interval and p-value."""
    a, b = _items(run_a), _items(run_b)
    if not a.keys() & b.keys():
        raise InputError(f"{run_a} and {run_b} share no question ids")
    return {
        name: paired_bootstrap({i: m.get(name) for i, m in a.items()}, {i: m.get(name) for i, m in b.items()})
        for name in METRICS
    }


def format_comparison(result: dict[str, dict], alpha: float = 0.05) -> str:
    lines = ["| metric | n | B - A | 95 % CI | p | significant |", "|---|---:|---:|---:|---:|---|"]
    for name, r in result.items():
        if r["diff"] is None:
            lines.append(f"| {name} | 0 | — | — | — | |")
            continue
        sig = "yes" if r["p_value"] < alpha else "no"
        lines.append(
            f"| {name} | {r['n']} | {r['diff']:+.3f} | [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] | {r['p_value']:.3f} | {sig} |"
        )
    return "\n".join(lines)
