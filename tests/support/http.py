"""The HTTP library under the installed Anthropic SDK, for tests that script the Messages API."""

from __future__ import annotations

import importlib
from typing import Any


def anthropic_http_module() -> Any:
    """Return the HTTP library the installed SDK is built on (httpx, or httpx2 for SDK 2.x).

    Import it only after ``pytest.importorskip("anthropic")``: it imports the SDK.
    """
    import anthropic

    client_class = next(c for c in anthropic.DefaultHttpxClient.__mro__ if c.__name__ == "Client")
    return importlib.import_module(client_class.__module__.split(".")[0])
