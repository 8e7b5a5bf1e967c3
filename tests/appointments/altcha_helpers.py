"""Solve a proof-of-work challenge in tests, as ``pow.js`` does in the browser.

``solved(new_challenge())`` is the payload a form posts in its ``altcha`` field; a test of a view
reads the challenge from the page (``data-altcha-challenge``) or calls ``fairness.new_challenge()``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from altcha import v1 as altcha_v1


def solved(challenge: dict[str, Any]) -> str:
    """The base64 JSON payload that answers ``challenge`` (``{algorithm, challenge, maxnumber, salt,
    signature}``), found with the altcha package's own solver."""
    solution = altcha_v1.solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], int(challenge["maxnumber"])
    )
    if solution is None:
        raise AssertionError(f"no number up to {challenge['maxnumber']} solves {challenge!r}")
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
        "took": int(solution.took * 1000),
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()
