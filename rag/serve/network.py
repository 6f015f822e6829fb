"""Who can reach a server: loopback addresses, and the warning for serving beyond them unprotected."""

from __future__ import annotations

import logging

__all__ = ["is_loopback", "warn_if_exposed"]

log = logging.getLogger("rag.serve")

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")


def warn_if_exposed(host: str, protected: bool, how: str) -> None:
    """Log a warning when `host` is reachable from other machines and nothing asks for credentials;
    `how` says what to set to require them."""
    if not protected and not is_loopback(host):
        log.warning(
            "serving on %s without a password: anyone who can reach it can read the documents; %s",
            host,
            how,
        )
