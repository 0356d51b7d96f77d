"""What skills cost in context, in exact tokens: one skill's block, and every skill of a pack."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from skillpack.context import Format, render_block
from skillpack.errors import SkillContentError
from skillpack.skill import Skill
from skillpack.tokens import TokenCounter

if TYPE_CHECKING:
    from skillpack.registry import SkillPack


def block_tokens(skill: Skill, fmt: Format, counter: TokenCounter) -> int:
    """Return the tokens ``skill`` adds to a context in format ``fmt`` (its block; in JSON, its entry)."""
    if fmt == "json":
        entry = {"name": skill.name, "description": skill.description, "instructions": skill.instructions()}
        return counter.count(json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False))
    return counter.count(render_block(skill, fmt))


def tokens_of_everything(pack: SkillPack, fmt: Format, counter: TokenCounter) -> int:
    """Return the tokens of every readable skill's block in ``pack`` (what routing saves against)."""
    # Counting every skill means reading every body; the counts are kept on disk, keyed by the files'
    # identity (path, size, modification time) and the manifest hash, so a later call only stats them.
    from skillpack.cache import CountStore, cache_dir

    store = CountStore(cache_dir() / "block-tokens.json")
    total = 0
    for skill in pack:
        try:
            stat = os.stat(skill.instructions_path)
            key = f"{fmt}|{skill.instructions_path}|{stat.st_size}|{stat.st_mtime_ns}|{skill.manifest_sha256}"
            tokens = store.get(key)
            if tokens is None:
                tokens = block_tokens(skill, fmt, counter)
                store.put(key, tokens)
        except (OSError, SkillContentError):
            continue
        total += tokens
    store.save()
    counter.save()
    return total
