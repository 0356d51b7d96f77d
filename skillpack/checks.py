"""The built-in answer checks of the harness: contains, exact, regex and a JSON field.

A check is ``check(output, spec) -> bool``: ``output`` is the model's answer and ``spec`` the task's
``expect`` mapping in the suite, whose ``check`` key names the check. The built-ins are registered
through the ``skillpack_register_checks`` hook, exactly like a plugin's checks. A spec a check cannot
evaluate (a bad pattern, a missing key) raises ``ValueError`` naming the key; the suite loader probes
every check once, so such a spec is refused before any model is called.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from skillpack.hookspecs import RegisterCheck, hookimpl

#: Characters that may not touch a ``whole_word`` match on either side.
_WORD = r"[A-Za-z0-9]"


def _text(spec: dict[str, Any], key: str) -> str:
    value = spec.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def _fold(text: str, spec: dict[str, Any]) -> str:
    return text.casefold() if spec.get("ignore_case") else text


def contains(output: str, spec: dict[str, Any]) -> bool:
    """Pass when ``value`` occurs in the output (``whole_word``: not inside a longer code)."""
    value = _text(spec, "value")
    if spec.get("whole_word"):
        flags = re.IGNORECASE if spec.get("ignore_case") else 0
        return _compiled(f"(?<!{_WORD}){re.escape(value)}(?!{_WORD})", flags).search(output) is not None
    return _fold(value, spec) in _fold(output, spec)


def exact(output: str, spec: dict[str, Any]) -> bool:
    """Pass when the output, stripped of surrounding white space and backquotes, equals ``value``."""
    value = _text(spec, "value")
    return _fold(output.strip().strip("`").strip(), spec) == _fold(value.strip(), spec)


def regex(output: str, spec: dict[str, Any]) -> bool:
    """Pass when ``pattern`` (Python syntax) matches anywhere in the output."""
    pattern = _text(spec, "pattern")
    flags = re.IGNORECASE if spec.get("ignore_case") else 0
    try:
        compiled = _compiled(pattern, flags)
    except re.error as exc:
        raise ValueError(f"'pattern' is not a valid regular expression: {exc}") from exc
    return compiled.search(output) is not None


def json_field(output: str, spec: dict[str, Any]) -> bool:
    """Pass when the output's first JSON object holds ``value`` at ``path`` (``a.b.0.c``)."""
    path = _text(spec, "path")
    if "value" not in spec:
        raise ValueError("'value' is missing: give the value the field must hold")
    document = _first_json(output)
    if document is None:
        return False
    current: Any = document
    for part in path.removeprefix("$.").split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False
    return bool(current == spec["value"])


def _first_json(output: str) -> Any:
    # Models wrap JSON in prose or code fences; take the first decodable object or array.
    decoder = json.JSONDecoder()
    for index, char in enumerate(output):
        if char in "{[":
            try:
                document, _ = decoder.raw_decode(output, index)
            except json.JSONDecodeError:
                continue
            return document
    return None


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


BUILTIN_CHECKS = {"contains": contains, "exact": exact, "json_field": json_field, "regex": regex}


@hookimpl
def skillpack_register_checks(register: RegisterCheck) -> None:
    """Register the built-in checks."""
    for name, check in BUILTIN_CHECKS.items():
        register(name, check)
