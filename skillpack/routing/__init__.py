"""Routers: pick the few skills a task needs. ``base`` holds the protocol; one module per router."""

from __future__ import annotations

from skillpack.routing.base import Match, Ranking, Router

__all__ = ["Match", "Ranking", "Router"]
