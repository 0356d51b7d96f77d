"""Writing and sharing skills: scaffolding, linting, trigger tests, packing, installing and locking.

Nothing in the routing and running pipeline imports this package; it sits above it (see
docs/ARCHITECTURE.md).
"""
