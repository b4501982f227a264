"""Fingerprints of the store rows a planned change depends on."""

from __future__ import annotations

import hashlib
import json


def fingerprint(*parts: object) -> str:
    """Hash ``parts`` (plain values, lists and dicts) into a short stable hex digest.

    Equal values give equal digests, and a changed value gives a new digest (barring a
    128-bit hash collision), so a confirmation is rejected when those rows changed.
    """
    encoded = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]
