"""Export the trained verifier to the folder the product ships: INT8 ONNX + tokenizer + card.

`onnx` is needed here only (the `train` extra); running the exported model needs onnxruntime and
tokenizers, which the product already has.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

__all__ = ["export"]


def export(torch_folder: Path, destination: Path, card: dict) -> Path:
    """Write `model.onnx` (dynamic INT8), `tokenizer.json` and `verifier.json` (the card: threshold,
    max_tokens, training figures) into `destination`, replacing what was there only when all three
    are written."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    staging = destination.with_name(destination.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model = AutoModelForSequenceClassification.from_pretrained(torch_folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(torch_folder)
    sample = tokenizer(["a claim"], ["an evidence passage"], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    full = staging / "model.fp32.onnx"
    with torch.inference_mode():
        torch.onnx.export(
            model,
            tuple(sample[n] for n in names),
            str(full),
            input_names=names,
            output_names=["logits"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(full), str(staging / "model.onnx"), weight_type=QuantType.QInt8)
    full.unlink()
    tokenizer.backend_tokenizer.save(str(staging / "tokenizer.json"))
    (staging / "verifier.json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    if destination.exists():
        old = destination.with_name(destination.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        destination.replace(old)
        staging.replace(destination)
        shutil.rmtree(old)
    else:
        staging.replace(destination)
    return destination
