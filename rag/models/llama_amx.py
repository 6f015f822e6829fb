"""A workaround for llama.cpp on CPUs with Intel AMX (Sapphire Rapids and later).

llama.cpp repacks Q4_K weights into an AMX buffer on such CPUs, and its first matrix product
there crashes the process (SIGSEGV in `ggml_backend_amx_mul_mat`, ggml-org/llama.cpp#20824; seen
here with the packaged Qwen2.5 Q4_K_M). Loading the model without llama.cpp's extra buffer types
avoids it. Other CPUs (AMD EPYC, older Intel) keep the repacked buffers, which are faster.

`python -m rag.models.llama_amx ARGS` runs llama.cpp's OpenAI-compatible server
(`python -m llama_cpp.server ARGS`) with the workaround in place.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["cpu_has_amx", "without_amx_repack"]

_patch_lock = threading.Lock()


def cpu_has_amx(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """Whether the CPU reports AMX (the `amx_int8` flag); False where that cannot be read."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return False
    return any(line.startswith("flags") and " amx_int8" in line for line in text.splitlines())


@contextmanager
def without_amx_repack() -> Iterator[None]:
    """Within the block, `llama_cpp.Llama(...)` loads without extra buffer types on an AMX CPU."""
    if not cpu_has_amx():
        yield
        return
    import llama_cpp.llama as llama_module

    with _patch_lock:
        original = llama_module.llama_cpp.llama_model_default_params

        def params():
            value = original()
            value.use_extra_bufts = False
            return value

        llama_module.llama_cpp.llama_model_default_params = params
        try:
            yield
        finally:
            llama_module.llama_cpp.llama_model_default_params = original


if __name__ == "__main__":
    import runpy

    with without_amx_repack():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
