"""A guard that fails a test, instead of hanging the suite, when a bad input makes the code hang."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest


def within(seconds: float, action: Callable[[], Any]) -> Any:
    """Return ``action()``, failing the test if it runs longer than ``seconds`` (a hang guard)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = action()
        except BaseException as exc:  # re-raised in the test's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"still running after {seconds} s: a bad input must never hang")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")
