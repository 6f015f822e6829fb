import numpy as np
import pytest

from rag.errors import ConfigError
from rag.evaluate.calibration import calibrate, calibrate_claims
from rag.evaluate.calibration_store import load_calibration, save_calibration
from rag.evaluate.judges import LLMJudge, NLIJudge, OverlapJudge, Verdict, overlap_features
from rag.evaluate.report import _judge_line

EVIDENCE = ["The Yangtze flows for 6,300 kilometres. The Three Gorges Dam spans the Yangtze near Yichang."]


def test_overlap_features_hand_computed():
    f = overlap_features("The Yangtze flows 6,300 kilometres past Wuhan.", EVIDENCE)
    # content words: yangtze, flow, 6,300, kilometre, past, wuhan -> 4 of 6 in the evidence
    assert f["words"] == pytest.approx(4 / 6)
    assert f["numbers"] == 1.0
    assert f["names"] == pytest.approx(0.5)  # Wuhan missing, Yangtze present (first word skipped)
    assert overlap_features("it is so", EVIDENCE)["words"] is None


def test_overlap_judge_without_embedder_separates_supported_and_invented():
    judge = OverlapJudge(None, threshold=0.6)
    assert judge.weights["similarity"] == 0.0
    good = judge.judge("The Yangtze flows for 6,300 kilometres.", EVIDENCE)
    bad = judge.judge("The Mekong flows for 4,900 miles through Laos.", EVIDENCE)
    assert good.supported and good.score == 1.0
    assert not bad.supported and bad.score < good.score
    assert judge.judge("", EVIDENCE) == Verdict(0.0, False)
    assert judge.judge("Anything", []) == Verdict(0.0, False)


def test_overlap_judge_weights_are_renormalized_over_defined_features(embedder):
    judge = OverlapJudge(
        embedder, weights={"words": 1.0, "window": 0.0, "numbers": 1.0, "names": 0.0, "similarity": 0.0}
    )
    assert judge.score({"words": 0.5, "numbers": None}) == 0.5
    assert judge.score({"words": 0.5, "numbers": 1.0}) == 0.75
    assert judge.score({}) == 0.0
    with pytest.raises(ValueError, match="threshold"):
        OverlapJudge(None, threshold=2)


def test_llm_judge_reads_the_verdict_word():
    seen = []

    def complete(messages):
        seen.append(messages)
        return " Supported." if "6,300" in messages[-1]["content"].split("Claim:")[1] else "UNSUPPORTED"

    judge = LLMJudge(complete, name="llm:fake")
    assert judge.judge("It flows for 6,300 km.", EVIDENCE) == Verdict(1.0, True)
    assert judge.judge("It flows for 9 km.", EVIDENCE) == Verdict(0.0, False)
    assert "<<<" in seen[0][0]["content"] and EVIDENCE[0] in seen[0][0]["content"]


class _FakeCrossEncoder:
    """Stands in for a CrossEncoder: logits favour entailment when the claim is in the premise."""

    class config:
        id2label = {0: "contradiction", 1: "entailment", 2: "neutral"}

    def predict(self, pairs):
        return np.array([[0.0, 3.0, 0.0] if claim in premise else [3.0, 0.0, 0.0] for premise, claim in pairs])


def test_nli_judge_uses_the_entailment_probability():
    judge = NLIJudge(None, model=_FakeCrossEncoder())
    verdict = judge.judge("flows for 6,300 kilometres", EVIDENCE)
    assert verdict.supported and verdict.score == pytest.approx(np.exp(3) / (np.exp(3) + 2))
    assert not judge.judge("flows backwards", EVIDENCE).supported


def test_nli_judge_without_a_model_path_is_a_config_error():
    with pytest.raises(ConfigError, match="--nli-model"):
        NLIJudge(None)


def test_calibration_accuracy_auroc_and_cache(tmp_path):
    items = [
        {
            "question": "Which river?",
            "knowledge": "The Yangtze flows for 6,300 kilometres.",
            "right_answer": "The Yangtze flows 6,300 kilometres",
            "hallucinated_answer": "The Mekong flows 4,900 miles",
        },
        {
            "question": "Where is the dam?",
            "knowledge": "The dam spans the Yangtze near Yichang.",
            "right_answer": "near Yichang",
            "hallucinated_answer": "near Chongqing city centre",
        },
    ]
    result = calibrate(OverlapJudge(None, threshold=0.6), items)
    assert result == {"items": 2, "decisions": 4, "accuracy": 1.0, "auroc": 1.0}
    path = tmp_path / "cal.json"
    assert load_calibration(path) == {}
    save_calibration("overlap", result, path)
    save_calibration("llm:local", {"accuracy": 0.5}, path)
    assert load_calibration(path)["overlap"] == result and set(load_calibration(path)) == {"overlap", "llm:local"}


def test_calibration_on_labelled_claims_and_its_line_in_reports():
    evidence = "The Yangtze flows for 6,300 kilometres."
    items = [
        {"claim": "The Yangtze flows for 6,300 kilometres.", "evidence": evidence, "label": "supported"},
        {"claim": "The Mekong flows 4,900 miles.", "evidence": evidence, "label": "contradicted"},
        {"claim": "The Yangtze is 6,300 km long.", "evidence": evidence, "label": "supported", "question": "How long?"},
    ]
    result = calibrate_claims(OverlapJudge(None, threshold=0.9), items)
    assert result["pairs"] == 3 and result["accuracy"] == pytest.approx(2 / 3) and result["auroc"] == 1.0
    calibration = {"accuracy": 0.93, "auroc": 0.95, "items": 500, "decisions": 1000, "reworded": result}
    line = _judge_line({"name": "verifier", "calibration": calibration})
    assert "HaluEval QA calibration: accuracy 0.930" in line
    assert "on 3 claims reworded by other writers: accuracy 0.667, AUROC 1.000" in line
    assert "reworded" not in _judge_line({"name": "overlap", "calibration": {**calibration, "reworded": None}})


def test_hosted_judge_uses_the_shared_client_retrying_and_masking_the_key(monkeypatch):
    """The judge's endpoint calls go through `rag.models.openai_client.ChatClient`, as the hosted
    generator's do: a 5xx is retried, and a key the server echoes back never reaches the error."""
    from rag.config import load_settings
    from rag.errors import GeneratorError
    from rag.evaluate.judges import create_judge
    from tests.support.fake_openai_server import FakeServer, Reply, clear_proxies, completion

    clear_proxies(monkeypatch)
    secret = "sk-judge-S3CRET-0a1b2c"
    monkeypatch.setenv("RAG_TEST_JUDGE_KEY", secret)
    with FakeServer() as server:
        settings = load_settings(
            env={},
            overrides={
                "generator": "hosted",
                "hosted_base_url": server.base_url,
                "hosted_model": "judge-model",
                "hosted_api_key_env": "RAG_TEST_JUDGE_KEY",
                "hosted_max_retries": 1,
            },
        )
        judge = create_judge("llm", settings, None)
        assert judge.name == "llm:hosted"
        monkeypatch.setattr("rag.models.openai_client.retry_delay", lambda *args: 0.0)
        server.add(Reply(status=503, body={"error": "warming up"}), Reply(body=completion("SUPPORTED")))
        assert judge.judge("It flows for 6,300 km.", EVIDENCE) == Verdict(1.0, True)
        assert len(server.requests) == 2
        body = server.requests[1].body
        assert body["model"] == "judge-model" and body["max_tokens"] == 4 and body["temperature"] == 0
        assert server.requests[1].headers["authorization"] == f"Bearer {secret}"
        echo = {"error": {"message": f"bad request for key {secret}"}}
        server.add(Reply(status=400, body=echo))
        with pytest.raises(GeneratorError) as info:
            judge.judge("It flows for 6,300 km.", EVIDENCE)
        assert secret not in str(info.value) and "***" in str(info.value) and "\n" not in str(info.value)


def test_hosted_judge_needs_a_model_name():
    from rag.config import load_settings
    from rag.evaluate.judges import create_judge

    settings = load_settings(env={}, overrides={"generator": "hosted", "hosted_model": ""})
    with pytest.raises(ConfigError, match="hosted judge needs a model name"):
        create_judge("llm", settings, None)
