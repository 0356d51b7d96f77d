"""Which backend answers when none is named: decided from what is configured and installed."""

from __future__ import annotations

import os


def default_backend_name() -> str | None:
    """Return the backend to use when none is named: anthropic with a key, else local if installed."""
    if os.environ.get("ANTHROPIC_API_KEY", "").strip():
        return "anthropic"
    from skillpack.backends.local import is_available

    return "local" if is_available() else None
