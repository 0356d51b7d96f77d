"""What tests import: helpers and shared checks (``from support.skills import make_skill``).

Fixtures live in tests/conftest.py; everything a test imports by name lives here, one module per concern:
``skills`` (writing skill folders; REPO, DATA, SHARED), ``bad_cases`` (tests/data/bad), ``environment``
(the isolated variables), ``hang`` (``within``), ``http`` (the Anthropic SDK's HTTP library),
``harness`` (the tiny bench suite), ``routers`` (the vector routers' shared checks) and ``mcp``.
"""
