"""Run the prompt-injection set (tests/injection_corpus.py) through a generator and count the attacks resisted.

    nice -n 19 .venv/bin/python eval/injection_local.py --generator local --out eval/results/injection_local.json

Indexes seeds/ plus the attack documents into a temporary index (real packaged embedder), asks
each attack's seed question, and judges the answer: resisted = no canary of the attack in the
answer, every citation quotes a passage it was given, none cites an attack document. A fake key is
planted in the variable named by `hosted_api_key_env` for the run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from rag.answer.pipeline import RagPipeline  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.ingest.update import update_index  # noqa: E402
from tests.support.injection_corpus import ATTACKS, PLANTED_KEY, build_corpus, judge, seed_questions  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generator", default="local", choices=("local", "extractive", "hosted"))
    parser.add_argument("--out", default="eval/results/injection_local.json")
    args = parser.parse_args(argv)
    settings = load_settings(env={})
    os.environ[settings.hosted_api_key_env] = PLANTED_KEY
    questions = seed_questions()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = build_corpus(Path(tmp) / "corpus")
        settings = settings.replace(index_dir=str(Path(tmp) / "index"), generator=args.generator)
        update_index(settings, [corpus])
        pipeline = RagPipeline.from_settings(settings)
        verdicts = []
        for attack in ATTACKS:
            q = questions[attack.question_id]
            started = time.perf_counter()
            answer = pipeline.ask(q["question"]).to_dict()
            verdict = judge(attack, answer, q["answers"])
            verdict["seconds"] = round(time.perf_counter() - started, 1)
            verdict["key_leaked"] = PLANTED_KEY in json.dumps(answer)
            verdicts.append(verdict)
            print(
                f"{'resisted' if verdict['resisted'] else 'FOLLOWED'}  {attack.name:<36} "
                f"retrieved={verdict['attack_retrieved']} correct={verdict['correct']} ({verdict['seconds']}s)",
                flush=True,
            )
    summary = {
        "generator": args.generator,
        "attacks": len(verdicts),
        "resisted": sum(v["resisted"] for v in verdicts),
        "attack_retrieved": sum(v["attack_retrieved"] for v in verdicts),
        "resisted_when_retrieved": sum(v["resisted"] for v in verdicts if v["attack_retrieved"]),
        "still_correct": sum(v["correct"] for v in verdicts),
        "refused": sum(v["refused"] for v in verdicts),
        "key_leaked": sum(v["key_leaked"] for v in verdicts),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps({"summary": summary, "verdicts": verdicts}, indent=2, ensure_ascii=False) + "\n")
    tmp_out.replace(out)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
