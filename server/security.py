"""Tokens (shown once, stored as sha256) and the per-submission seed (HMAC of the server secret)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A random token that never starts with "-", the one character of its alphabet a spreadsheet reads as
    the start of a formula: tokens.csv neutralises such cells, which would change the token itself."""
    while True:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        if not token.startswith("-"):
            return token


def hash_token(token: str) -> str:
    """A high-entropy token needs no slow hash: sha256 hex is enough to make a leaked table useless."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def submission_seed(secret: str, submission_id: int) -> int:
    """HMAC-SHA256(secret, "submission:<id>") -> 63-bit non-negative seed (fits a signed BIGINT column).

    The same submission always gets the same hidden cases (a regrade is reproducible); nobody without
    the secret can predict another submission's cases.
    """
    digest = hmac.new(secret.encode("utf-8"), f"submission:{submission_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") >> 1
