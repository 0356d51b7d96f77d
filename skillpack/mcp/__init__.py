"""Serve skills to agent hosts over the Model Context Protocol (``skillpack serve``).

Only ``server`` and ``extension`` import the ``mcp`` SDK (the optional extra ``skillpack[mcp]``); the rest
of this package is plain skillpack, so the tools' behaviour is testable without the SDK.
"""
