"""The ``skillpack`` command line: click commands, one module per command group.

This package is the only place that imports click; the library below raises ``SkillpackError``
subclasses, which ``main`` turns into one clear line and an exit code (usage 2, failure 1).
"""
