"""Reworded support for the verifier's training, written offline by the packaged local LLM.

Synthetic pairs teach what a changed number or a flipped direction looks like, but their supported
claims are near-copies of the evidence, so a model trained on them learns "shared words =
supported" and rejects a faithful rewording. Here the local model (Qwen2.5-Coder-1.5B, greedy)
rewrites training claims in other words; a rewrite is kept only when it keeps every number and
name of the original, stays close in meaning (MiniLM cosine) and really changes the wording.
Each kept rewrite becomes a supported pair against the original's evidence, and a one-detail
contradiction *of the rewrite* becomes an unsupported pair against the same evidence, so the
words shared with the evidence never decide the label.

    python -m rag.models.verifier_training.paraphrase WORK [--limit N] [--out FILE]

appends to FILE (data/verifier_paraphrases.jsonl, kept in the repository: about 3 s a claim on 2
cores) and resumes where it stopped (each line is one source claim, accepted or not).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import time
from pathlib import Path

from rag.models.verifier_training.data import Pair, _contradict, read_pairs
from rag.models.verifier_training.transforms import names_in, numbers_in
from rag.text import content_words

__all__ = ["PROMPT", "acceptable", "paraphrase_pairs"]

log = logging.getLogger(__name__)

PROMPT = (
    "Paraphrase the sentence: use synonyms for its words and a different order of its parts, so that "
    "few words stay the same, but keep every fact, number and name and add nothing. Reply with the "
    "paraphrase only.\n\nSentence: {sentence}"
)
_EXAMPLES = (
    (
        "Exports from the province rose 12 percent last year, driven by strong demand for electric vehicles.",
        "Strong appetite for electric cars lifted the province's foreign sales by 12 percent in the past year.",
    ),
    (
        "The council said on Tuesday that the bridge would stay closed until engineers finish their inspection.",
        "Until the engineers have completed their checks, the bridge will remain shut, the council announced on Tuesday.",
    ),
)
# The worked examples, as the chat turns that come before each claim.
_EXAMPLE_TURNS = [
    turn
    for sentence, rewrite in _EXAMPLES
    for turn in (
        {"role": "user", "content": PROMPT.format(sentence=sentence)},
        {"role": "assistant", "content": rewrite},
    )
]
_SOURCE_KINDS = ("copy", "clause", "summary")
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z'\-]+")


def _bare(word: str) -> str:
    return word.lower().removesuffix("'s").removesuffix("\u2019s")


def acceptable(original: str, rewrite: str, similarity: float) -> bool:
    """Same numbers and names, close in meaning, and reworded (not a copy)."""
    rewrite = rewrite.strip()
    if not rewrite or "\n" in rewrite or not 0.5 <= len(rewrite) / max(1, len(original)) <= 1.6:
        return False
    if set(numbers_in(original)) != set(numbers_in(rewrite)):
        return False
    lower, original_lower = rewrite.lower(), original.lower()
    if any(name.lower() not in lower for name in names_in(original)):
        return False
    # Nothing capitalised that the original lacks (a weekday or a place the model made up).
    if any(_bare(word) not in original_lower for word in _CAPITALISED.findall(rewrite)[1:]):
        return False
    words = content_words(rewrite)
    shared = len(words & content_words(original)) / max(1, len(words))
    return similarity >= 0.8 and shared <= 0.75


def paraphrase_pairs(records: list[dict], rng: random.Random) -> list[Pair]:
    """Training pairs from accepted rewrites: the rewrite (supported) and its contradiction."""
    pairs = []
    for record in records:
        if not acceptable(record["original"], record["rewrite"], record["similarity"]):
            continue
        rewrite, evidence, source = record["rewrite"], record["evidence"], record["source"]
        pairs.append(Pair(rewrite, evidence, 1, "paraphrase", source))
        contradiction = _contradict(rewrite, numbers_in(evidence), names_in(evidence), rng)
        if contradiction:
            pairs.append(Pair(contradiction[1], evidence, 0, f"paraphrase_{contradiction[0]}", source))
    return pairs


def _candidates(work: Path, seed: int) -> list[tuple[str, Pair]]:
    """Supported sentence pairs of both splits, interleaved (one validation claim in ten)."""
    train = [p for p in read_pairs(work / "train.jsonl") if p.kind in _SOURCE_KINDS]
    validation = [p for p in read_pairs(work / "validation.jsonl") if p.kind in _SOURCE_KINDS]
    random.Random(seed).shuffle(train)
    random.Random(seed + 1).shuffle(validation)
    out: list[tuple[str, Pair]] = []
    while train or validation:
        for _ in range(9):
            if train:
                out.append(("train", train.pop()))
        if validation:
            out.append(("validation", validation.pop()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.models.verifier_training.paraphrase")
    parser.add_argument("work", type=Path, help="the training work folder (train.jsonl, validation.jsonl)")
    parser.add_argument("--limit", type=int, default=3000, help="source claims to rewrite in all")
    parser.add_argument("--out", type=Path, default=Path("data/verifier_paraphrases.jsonl"))
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    import numpy as np

    from rag.config import load_settings
    from rag.models.local_llm import LocalLLM
    from rag.models.verifier import MiniLMVectors

    out_path = args.out
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out_path.is_file():
        done = {json.loads(line)["original"] for line in out_path.read_text(encoding="utf-8").splitlines() if line}
    todo = [(split, p) for split, p in _candidates(args.work, args.seed)[: args.limit] if p.claim not in done]
    log.info("%d claims rewritten before, %d to go", len(done), len(todo))
    llm = LocalLLM.from_settings(load_settings())
    vectors = MiniLMVectors()
    started, accepted = time.monotonic(), 0
    with out_path.open("a", encoding="utf-8") as handle:
        for n, (split, pair) in enumerate(todo, 1):
            messages = [*_EXAMPLE_TURNS, {"role": "user", "content": PROMPT.format(sentence=pair.claim)}]
            rewrite = " ".join(llm.complete(messages, max_tokens=120).split())
            original, candidate = vectors.encode_uncached([pair.claim, rewrite or "-"])
            similarity = float(np.dot(original.vector, candidate.vector))
            ok = acceptable(pair.claim, rewrite, similarity)
            accepted += ok
            record = {
                "original": pair.claim,
                "rewrite": rewrite,
                "evidence": pair.evidence,
                "source": pair.source,
                "split": split,
                "similarity": round(similarity, 4),
                "accepted": ok,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
            if n % 20 == 0:
                rate = n / (time.monotonic() - started)
                log.info("%d/%d rewritten (%.2f/s), %d accepted", n, len(todo), rate, accepted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
