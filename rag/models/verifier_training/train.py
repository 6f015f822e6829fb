"""Fine-tune a BERT-style encoder into the claim verifier: one logit, P(supported) = sigmoid(logit).

A plain PyTorch loop on the CPU. It checkpoints every `checkpoint_every` steps (model, optimizer,
schedule, step) with an atomic replace, and a restarted run resumes from the checkpoint: the batch
order is a function of the seed alone, so the resumed run sees the batches the first one did not.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.models.verifier_training.data import Pair

__all__ = ["TrainConfig", "batches", "train", "claim_input"]

log = logging.getLogger(__name__)


def claim_input(claim: str, question: str = "") -> str:
    """The first segment the cross-encoder reads: the claim, after the question it answers when
    known (a short answer such as "Delhi" is a claim only with its question)."""
    claim, question = " ".join(claim.split()), " ".join(question.split())
    return f"{question} {claim}" if question else claim


@dataclass(frozen=True)
class TrainConfig:
    base: str
    output: Path
    epochs: int = 1
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup: float = 0.06
    weight_decay: float = 0.01
    max_tokens: int = 192
    seed: int = 13
    threads: int = 0
    checkpoint_every: int = 150


def batches(pairs: Sequence[Pair], batch_size: int, seed: int, epochs: int) -> list[list[int]]:
    """Indices of every batch of every epoch, in order. Pairs of similar length share a batch
    (less padding); the order of the batches is shuffled."""
    order: list[list[int]] = []
    for epoch in range(epochs):
        rng = random.Random(seed * 1000 + epoch)
        indices = list(range(len(pairs)))
        rng.shuffle(indices)
        pool = 64 * batch_size
        epoch_batches = []
        for start in range(0, len(indices), pool):
            chunk = sorted(indices[start : start + pool], key=lambda i: len(pairs[i].claim) + len(pairs[i].evidence))
            epoch_batches += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
        rng.shuffle(epoch_batches)
        order += epoch_batches
    return order


def _save_atomic(obj, path: Path) -> None:
    import torch

    temporary = path.with_suffix(".tmp")
    torch.save(obj, temporary)
    temporary.replace(path)


def train(pairs: Sequence[Pair], config: TrainConfig) -> dict:
    """Train (or resume) and write the fine-tuned model to `config.output / "torch"`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    config.output.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(config.base)
    model = AutoModelForSequenceClassification.from_pretrained(config.base, num_labels=1)
    # The vocabulary's vectors stay as pre-trained: a third of the weights, and most words of a
    # claim are seen too rarely here to move them usefully.
    model.base_model.embeddings.word_embeddings.weight.requires_grad_(False)
    trainable = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in trainable if p.ndim > 1]
    no_decay = [p for p in trainable if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.learning_rate,
    )
    order = batches(pairs, config.batch_size, config.seed, config.epochs)
    total, warmup = len(order), max(1, int(len(order) * config.warmup))

    def rate(step: int) -> float:
        return step / warmup if step < warmup else max(0.0, (total - step) / max(1, total - warmup))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, rate)
    checkpoint = config.output / "checkpoint.pt"
    step, losses, seconds = 0, [], 0.0
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step, losses, seconds = state["step"], state["losses"], state["seconds"]
        log.info("resuming at step %d of %d", step, total)
    model.train()
    started = time.monotonic() - seconds
    loss_fn = torch.nn.BCEWithLogitsLoss()
    for step_index in range(step, total):
        batch = [pairs[i] for i in order[step_index]]
        encoded = tokenizer(
            [claim_input(p.claim, p.question) for p in batch],
            [p.evidence for p in batch],
            truncation="longest_first",
            max_length=config.max_tokens,
            padding=True,
            return_tensors="pt",
        )
        labels = torch.tensor([float(p.label) for p in batch])
        loss = loss_fn(model(**encoded).logits.squeeze(-1), labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(round(float(loss), 5))
        done = step_index + 1
        if done % 50 == 0 or done == total:
            recent = losses[-50:]
            log.info(
                "step %d/%d loss %.4f (%.0f s)", done, total, sum(recent) / len(recent), time.monotonic() - started
            )
        if done % config.checkpoint_every == 0 and done < total:
            _save_atomic(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "schedule": schedule.state_dict(),
                    "step": done,
                    "losses": losses,
                    "seconds": time.monotonic() - started,
                },
                checkpoint,
            )
    seconds = time.monotonic() - started
    model.eval()
    folder = config.output / "torch"
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    report = {
        "base": str(config.base),
        "pairs": len(pairs),
        "steps": total,
        "seconds": round(seconds, 1),
        "mean_loss_first_100": round(sum(losses[:100]) / max(1, len(losses[:100])), 4),
        "mean_loss_last_100": round(sum(losses[-100:]) / max(1, len(losses[-100:])), 4),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in config.__dict__.items()},
    }
    (config.output / "train_report.json").write_text(json.dumps(report, indent=2) + "\n")
    checkpoint.unlink(missing_ok=True)
    return report


def probabilities(folder: Path, pairs: Sequence[Pair], max_tokens: int = 192, batch_size: int = 32) -> list[float]:
    """P(supported) from a trained torch folder (used to check the model before export)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    scores: list[float] = []
    with torch.inference_mode():
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start : start + batch_size]
            encoded = tokenizer(
                [claim_input(p.claim, p.question) for p in batch],
                [p.evidence for p in batch],
                truncation="longest_first",
                max_length=max_tokens,
                padding=True,
                return_tensors="pt",
            )
            logits = model(**encoded).logits.squeeze(-1)
            scores += [1 / (1 + math.exp(-float(x))) for x in logits]
    return scores
