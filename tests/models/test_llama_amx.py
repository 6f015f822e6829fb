"""rag.models.llama_amx: AMX CPUs are recognised from /proc/cpuinfo."""

from __future__ import annotations

from rag.models.llama_amx import cpu_has_amx, without_amx_repack


def test_cpu_has_amx(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f amx_bf16 amx_int8 amx_tile\n")
    assert cpu_has_amx(info)
    info.write_text("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_vnni\n")
    assert not cpu_has_amx(info)
    assert not cpu_has_amx(tmp_path / "missing")


def test_the_patch_is_undone_after_the_block():
    import pytest

    llama = pytest.importorskip("llama_cpp.llama")
    before = llama.llama_cpp.llama_model_default_params
    with without_amx_repack():
        params = llama.llama_cpp.llama_model_default_params()
        assert params.use_extra_bufts is (not cpu_has_amx())
    assert llama.llama_cpp.llama_model_default_params is before
