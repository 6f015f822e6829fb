import pytest

from rag.config import Settings, load_settings
from rag.errors import ConfigError


def test_defaults_are_valid():
    s = Settings()
    assert s.chunk_overlap < s.chunk_size
    assert s.generator == "auto"


def test_toml_then_env_then_overrides(tmp_path):
    path = tmp_path / "rag.toml"
    path.write_text('top_k = 7\nindex_dir = "from-toml"\nmin_score = 0.2\n')
    s = load_settings(path, env={"RAG_TOP_K": "9"}, overrides={"index_dir": "from-flag", "min_score": None})
    assert s.top_k == 9
    assert s.index_dir == "from-flag"
    assert s.min_score == 0.2


def test_unknown_key_names_the_key(tmp_path):
    path = tmp_path / "rag.toml"
    path.write_text("top_kk = 3\n")
    with pytest.raises(ConfigError, match="top_kk"):
        load_settings(path, env={})


def test_wrong_type_in_toml(tmp_path):
    path = tmp_path / "rag.toml"
    path.write_text('top_k = "five"\n')
    with pytest.raises(ConfigError, match="top_k"):
        load_settings(path, env={})


def test_bad_env_value():
    with pytest.raises(ConfigError, match="RAG_TOP_K"):
        load_settings(env={"RAG_TOP_K": "many"})


def test_invalid_toml(tmp_path):
    path = tmp_path / "rag.toml"
    path.write_text("top_k = = 3\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, env={})


@pytest.mark.parametrize(
    "changes",
    [
        {"chunk_overlap": 80, "chunk_size": 80},
        {"top_k": 0},
        {"generator": "magic"},
        {"min_score": 3.0},
        {"model_threads": -1},
    ],
)
def test_validation(changes):
    with pytest.raises(ConfigError):
        Settings(**changes)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", env={})
