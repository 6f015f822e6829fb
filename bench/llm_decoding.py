"""Local LLM decoding settings, measured: threads and batch size for prompt reading and
generation, and what the reused system-prompt prefix saves on the first token.

Usage: python bench/llm_decoding.py [--out bench/llm_decoding.json]

Each setting loads the packaged model once, reads the same ~300-token seed passage (twice,
best kept) and generates 32 tokens greedily. The prefix measurement answers the same seed
question with the real prompt twice on one model: cold (empty cache) and warm (system prompt
cached by a different question on a different passage before it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rag.answer.prompts import build_messages  # noqa: E402
from rag.config import load_settings  # noqa: E402
from rag.models.gguf import resolve_gguf  # noqa: E402
from rag.types import Chunk, Hit  # noqa: E402


def _passage_tokens(llm, n: int = 300) -> list[int]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "seeds").glob("*.txt")))
    return llm.tokenize(text.encode(), add_bos=False)[:n]


def _speed(model_path: Path, n_threads: int, n_batch: int) -> dict:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_path), n_ctx=1024, n_threads=n_threads, n_batch=n_batch, seed=0, verbose=False)
    tokens = _passage_tokens(llm)
    read = []
    for _ in range(2):
        llm.reset()
        started = time.perf_counter()
        llm.eval(tokens)
        read.append(time.perf_counter() - started)
    started, generated = time.perf_counter(), 0
    # reset=True lets llama.cpp find the prompt already in its cache: only decoding is timed.
    for _ in llm.generate(tokens, temp=0.0, reset=True):
        generated += 1
        if generated >= 32:
            break
    gen_s = time.perf_counter() - started
    return {
        "n_threads": n_threads,
        "n_batch": n_batch,
        "prompt_tokens_per_s": round(len(tokens) / min(read), 1),
        "generation_tokens_per_s": round(generated / gen_s, 1),
    }


def _hit(text: str) -> Hit:
    return Hit(Chunk("s:0", "s", "s", "seed", text, 0, len(text)), 1.0, 1)


def _first_token_s(llm, messages) -> float:
    started = time.perf_counter()
    for chunk in llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=2, stream=True):
        if chunk["choices"][0]["delta"].get("content"):
            return time.perf_counter() - started
    return time.perf_counter() - started


def _prefix_reuse(model_path: Path, n_threads: int) -> dict:
    from llama_cpp import Llama

    first, second = (p.read_text(encoding="utf-8")[:600] for p in sorted((REPO / "seeds").glob("*.txt"))[:2])
    question = build_messages("What does the article say about technology?", [_hit(first)])
    other = build_messages("Who is quoted in the article?", [_hit(second)])  # shares only the system prompt
    llm = Llama(model_path=str(model_path), n_ctx=2048, n_threads=n_threads, seed=0, verbose=False)
    cold = _first_token_s(llm, question)
    _first_token_s(llm, other)  # leaves the system prompt (and the passage) cached
    warm = _first_token_s(llm, question)
    return {"first_token_cold_s": round(cold, 2), "first_token_prefix_cached_s": round(warm, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "bench" / "llm_decoding.json"))
    args = parser.parse_args()
    settings = load_settings()
    model = resolve_gguf(settings.local_model, Path(settings.model_cache_dir).expanduser() / "models")
    cores = os.cpu_count() or 1
    rows = [_speed(model, t, b) for t in sorted({1, cores}) for b in (64, 512)]
    for row in rows:
        print(json.dumps(row))
    prefix = _prefix_reuse(model, cores)
    print(json.dumps(prefix))
    Path(args.out).write_text(json.dumps({"cpus": cores, "settings": rows, **prefix}, indent=1) + "\n")


if __name__ == "__main__":
    main()
