"""rag.serve.network: who can reach a server, and the warning when anyone can, unprotected."""

from __future__ import annotations

import logging

import pytest

from rag.serve.network import is_loopback, warn_if_exposed


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("192.168.1.5", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_warning_only_for_an_open_unprotected_address(caplog):
    caplog.set_level(logging.WARNING)
    warn_if_exposed("127.0.0.1", False, "set RAG_API_KEY to require a key")
    warn_if_exposed("0.0.0.0", True, "set RAG_API_KEY to require a key")
    assert not caplog.records
    warn_if_exposed("0.0.0.0", False, "set RAG_API_KEY to require a key")
    (record,) = caplog.records
    assert "without a password" in record.getMessage() and "RAG_API_KEY" in record.getMessage()
