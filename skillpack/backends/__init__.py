"""Model backends. ``base`` holds the protocol; one module per backend."""

from __future__ import annotations

from skillpack.backends.base import Backend, Reply, Request, Usage

__all__ = ["Backend", "Reply", "Request", "Usage"]
