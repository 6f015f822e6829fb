"""Aggregate item scores and write items.jsonl, summary.json, report.md, report.html and plots."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from rag.evaluate.metrics import abstention_scores
from rag.evaluate.scoring import METRICS
from rag.evaluate.stats import bootstrap_ci, bootstrap_stat_ci

__all__ = ["summarize", "write_report", "SCHEMA_VERSION"]

SCHEMA_VERSION = 1
_LABELS = {
    "hit_at_k": "hit@k",
    "recall_at_k": "recall@k",
    "mrr": "MRR",
    "ndcg_at_10": "nDCG@10",
    "exact_match": "exact match",
    "token_f1": "token F1",
    "contains_answer": "contains answer",
    "semantic_similarity": "semantic similarity",
    "faithfulness": "faithfulness",
    "citation_recall": "citation recall (ALCE)",
    "citation_precision": "citation precision (ALCE)",
    "refusal_correct": "refusal decision correct",
    "quick_contains_answer": "quick answer contains answer",
    "quick_refusal_correct": "quick answer refusal correct",
}


def summarize(items: list[dict], judge: dict, k: int) -> dict:
    """Every aggregate with a 95 % bootstrap interval; deterministic for the same items."""
    metrics = {name: bootstrap_ci([i["metrics"].get(name) for i in items]) for name in METRICS}
    refused = [i["refused"] for i in items]
    answerable = [i["answerable"] for i in items]
    abst = abstention_scores(refused, answerable)
    refusal: dict[str, dict] = {}
    for key in ("precision", "recall", "f1"):

        def stat(idx: np.ndarray, key: str = key) -> float | None:
            return abstention_scores([refused[i] for i in idx], [answerable[i] for i in idx])[key]

        value = abst[key]
        low, high = bootstrap_stat_ci(len(items), stat) if value is not None else (None, None)
        refusal[f"abstention_{key}"] = {
            "mean": round(value, 6) if value is not None else None,
            "ci_low": low,
            "ci_high": high,
            "n": len(items),
        }
    refusal["refused_unanswerable"] = bootstrap_ci(
        [1.0 if r else 0.0 for r, a in zip(refused, answerable, strict=True) if not a]
    )
    refusal["false_refusal"] = bootstrap_ci([1.0 if r else 0.0 for r, a in zip(refused, answerable, strict=True) if a])
    return {
        "schema_version": SCHEMA_VERSION,
        "counts": {
            "items": len(items),
            "answerable": sum(answerable),
            "unanswerable": len(items) - sum(answerable),
            "refused": sum(refused),
        },
        "k": k,
        "judge": judge,
        "metrics": metrics,
        "refusal": refusal,
    }


def _fmt(stat: dict) -> str:
    if stat.get("mean") is None:
        return "—"
    if stat.get("ci_low") is None:
        return f"{stat['mean']:.3f}"
    return f"{stat['mean']:.3f} [{stat['ci_low']:.3f}, {stat['ci_high']:.3f}]"


def _rows(summary: dict) -> list[tuple[str, str, int]]:
    rows = [(_LABELS[name], _fmt(stat), stat["n"]) for name, stat in summary["metrics"].items()]
    for name, stat in summary["refusal"].items():
        rows.append((name.replace("_", " "), _fmt(stat), stat["n"]))
    return rows


def _judge_line(judge: dict) -> str:
    cal = judge.get("calibration")
    line = f"Judge: **{judge['name']}**"
    if cal:
        line += (
            f" — HaluEval QA calibration: accuracy {cal['accuracy']:.3f}, AUROC {cal['auroc']:.3f} "
            f"on {cal['items']} items ({cal['decisions']} answers; {cal.get('measured_on', '')}"
            + (f", tuned on {cal['tuned_on']}" if cal.get("tuned_on") else "")
            + ")"
        )
    else:
        line += " — not calibrated (run `python eval/calibrate_judges.py --judge ...`)"
    reworded = (cal or {}).get("reworded")
    if reworded:
        line += (
            f"; on {reworded['pairs']} claims reworded by other writers: accuracy {reworded['accuracy']:.3f}, "
            f"AUROC {reworded['auroc']:.3f}"
        )
    return line


def markdown_table(summary: dict) -> str:
    lines = ["| metric | mean [95 % CI] | n |", "|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in _rows(summary)]
    return "\n".join(lines)


def _plots(items: list[dict], summary: dict, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    names = [n for n, s in summary["metrics"].items() if s["mean"] is not None]
    means = [summary["metrics"][n]["mean"] for n in names]
    errors = [
        [m - summary["metrics"][n]["ci_low"] for n, m in zip(names, means, strict=True)],
        [summary["metrics"][n]["ci_high"] - m for n, m in zip(names, means, strict=True)],
    ]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(range(len(names)), means, yerr=errors, capsize=3, color="#4c72b0")
    ax.set_xticks(range(len(names)), [_LABELS[n] for n in names], rotation=35, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title("Metrics with 95 % bootstrap intervals")
    fig.tight_layout()
    fig.savefig(plots / "metrics.png", dpi=90)
    plt.close(fig)

    ranks = [i["first_relevant_rank"] for i in items if i["metrics"]["hit_at_k"] is not None]
    k = max([summary["k"], *[r for r in ranks if r]]) if ranks else summary["k"]
    counts = [sum(1 for r in ranks if r == n) for n in range(1, k + 1)] + [sum(1 for r in ranks if r is None)]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar([str(n) for n in range(1, k + 1)] + ["miss"], counts, color="#55a868")
    ax.set_xlabel("rank of the first relevant passage")
    ax.set_ylabel("questions")
    fig.tight_layout()
    fig.savefig(plots / "retrieval_ranks.png", dpi=90)
    plt.close(fig)

    faith = [(i["id"], i["metrics"]["faithfulness"]) for i in items if i["metrics"]["faithfulness"] is not None]
    fig, ax = plt.subplots(figsize=(9, 3.5))
    ax.bar(range(len(faith)), [f for _, f in faith], color="#c44e52")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("answered item (in file order)")
    ax.set_ylabel("faithfulness")
    ax.set_title("Per-answer faithfulness")
    fig.tight_layout()
    fig.savefig(plots / "faithfulness.png", dpi=90)
    plt.close(fig)
    return ["plots/metrics.png", "plots/retrieval_ranks.png", "plots/faithfulness.png"]


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_report(items: list[dict], summary: dict, metadata: dict, out: Path) -> None:
    """items.jsonl, summary.json (numbers; run details under "metadata"), report.md, report.html."""
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "items.jsonl", "".join(json.dumps(i, ensure_ascii=False, sort_keys=True) + "\n" for i in items))
    _write(out / "summary.json", json.dumps({**summary, "metadata": metadata}, indent=2, sort_keys=True) + "\n")
    plots = _plots(items, summary, out)
    counts = summary["counts"]
    intro = (
        f"{counts['items']} questions ({counts['answerable']} answerable, {counts['unanswerable']} not in the "
        f"documents), generator `{metadata.get('generator')}`, k = {summary['k']}."
    )
    md = [
        "# Evaluation report",
        "",
        intro,
        "",
        _judge_line(summary["judge"]),
        "",
        markdown_table(summary),
        "",
        *[f"![{p}]({p})" for p in plots],
        "",
    ]
    _write(out / "report.md", "\n".join(md))
    rows = "".join(
        f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td><td>{c}</td></tr>" for a, b, c in _rows(summary)
    )
    worst = sorted(
        (i for i in items if i["metrics"]["faithfulness"] is not None),
        key=lambda i: (i["metrics"]["faithfulness"], i["id"]),
    )[:10]
    worst_rows = "".join(
        f"<tr><td>{html.escape(i['id'])}</td><td>{html.escape(i['question'])}</td><td>{html.escape(i['answer'])}</td>"
        f"<td>{i['metrics']['faithfulness']:.2f}</td></tr>"
        for i in worst
    )
    judge_line = html.escape(_judge_line(summary["judge"]).replace("**", ""))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Evaluation report</title>"
        "<style>body{font-family:sans-serif;max-width:1000px;margin:auto}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
        "</style></head><body><h1>Evaluation report</h1>"
        f"<p>{html.escape(intro)}</p><p>{judge_line}</p>"
        f"<table><tr><th>metric</th><th>mean [95 % CI]</th><th>n</th></tr>{rows}</table>"
        + "".join(f"<p><img src='{p}' alt='{p}'></p>" for p in plots)
        + f"<h2>Least faithful answers</h2><table><tr><th>id</th><th>question</th><th>answer</th><th>faithfulness</th></tr>{worst_rows}</table>"
        "</body></html>\n"
    )
    _write(out / "report.html", page)
