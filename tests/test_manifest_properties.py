"""Property tests: whatever a manifest holds, it costs only its own skill, in one line, never a traceback.

Manifests are generated at random: structure, types (huge integers, NaN, bytes, sets, keys of mixed
types), unicode (control characters, separators, surrogate escapes), YAML tags, anchors and merge keys,
and front matter holding ``---``. Each is loaded beside a good skill, leniently and strictly, with and
without the manifest store, and through ``skillpack validate``, ``list`` and ``route``.

The examples are derandomized and no example database is kept, so every run (and CI) checks the same
cases; ``max_examples`` keeps the file to a few seconds.
"""

from __future__ import annotations

import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.bad_cases import GOOD_NEIGHBOUR
from support.skills import make_skill

from skillpack import SkillPack
from skillpack.cli.main import cli

PROPERTIES = settings(
    max_examples=40,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

FIELDS = [
    "name",
    "description",
    "version",
    "metadata",
    "tags",
    "examples",
    "requires",
    "resources",
    "instructions",
    "allowed-tools",
    "when_to_use",
    "license",
]

# Unicode that has broken or fooled parsers and terminals: controls, separators, BOM, bidi overrides.
NASTY = "\x00\x07\x1b\x7f\x85\x9b\u2028\u2029\ufeff\u202e\t\r\n---: #&*!|>'\"%@`{}[],?"
text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(NASTY), max_size=40)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**400),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
keys = st.one_of(text, st.integers(), st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)

# Hand-written YAML that a dumper never writes: tags, anchors, aliases, merge keys, odd documents.
FRAGMENTS = [
    "base: &b {a: 1}\nmetadata:\n  <<: *b\n",
    "metadata:\n  <<: {a: x, 2: y}\n  c: z\n",
    "metadata: !!set {a, b}\n",
    "tags: !!omap [{a: 1}, {b: 2}]\n",
    "tags: !!pairs [{a: 1}]\n",
    "version: !!binary aGVsbG8=\n",
    "version: !!float 1.0\n",
    "version: 0x" + "f" * 300 + "\n",
    "version: " + "9" * 5000 + "\n",
    "version: 1_000_000\n",
    "version: 190:20:30\n",
    "version: 2001-12-14t21:59:43.10-05:00\n",
    "examples: !!python/object:os.system [echo]\n",
    "tags: !custom thing\n",
    "description: |\n  ---\n  a---b\n",
    "description: '---'\n",
    "? [complex, key]\n: value\n",
    "metadata: {1: a, '1': b}\n",
    "tags: [" * 60 + "]" * 60 + "\n",
    'name: "abc\\n"\n',
    'name: "\\e]0;title\\a"\n',
    "...\n",
    "--- \n",
    "requires: [{name: x, version: '>=1.0.0-alpha.beta'}]\n",
]


def _manifest_text(data: dict[Any, Any], fragment: str | None, place: int) -> str:
    try:
        body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, TypeError, ValueError):
        body = "description: dumped nothing\n"
    if fragment is None:
        return body
    lines = body.splitlines(keepends=True)
    cut = place % (len(lines) + 1)
    return "".join([*lines[:cut], fragment, *lines[cut:]])


manifests = st.builds(
    _manifest_text,
    st.dictionaries(st.sampled_from(FIELDS) | keys, values, max_size=6),
    st.none() | st.sampled_from(FRAGMENTS),
    st.integers(min_value=0, max_value=20),
)


def _write_bad_skill(library: Path, form: str, manifest: str, body: str) -> str:
    folder = library / "bad-skill"
    folder.mkdir()
    if form == "native":
        (folder / "skill.yaml").write_text(manifest, encoding="utf-8", errors="surrogateescape")
        (folder / "instructions.md").write_text(body, encoding="utf-8", errors="surrogateescape")
        return "bad-skill/skill.yaml"
    document = f"---\n{manifest}---\n{body}"
    (folder / "SKILL.md").write_text(document, encoding="utf-8", errors="surrogateescape")
    return "bad-skill/SKILL.md"


@PROPERTIES
@given(
    manifest=manifests,
    form=st.sampled_from(["native", "agent-skills"]),
    body=st.sampled_from(["# Steps\n", "---\nnot front matter\n---\n", "", "\x1b]0;x\x07\n"]),
)
def test_a_random_manifest_costs_only_its_own_skill(manifest: str, form: str, body: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        library = Path(folder) / "lib"
        library.mkdir()
        display = _write_bad_skill(library, form, manifest, body)
        make_skill(library, GOOD_NEIGHBOUR)
        for strict in (False, True):
            for cache in (False, True, True):  # the second cached load reads what the first stored
                pack = SkillPack.from_paths([library], strict=strict, cache=cache)
                assert pack.get(GOOD_NEIGHBOUR).problems == ()
                skipped = [p for p in pack.problems if p.file.startswith("bad-skill/")]
                loaded = [s for s in pack if s.folder.name == "bad-skill"]
                # Exactly one of: loaded (with its problems kept on it) or skipped with one line.
                assert len(skipped) + len(loaded) == 1, (skipped, loaded)
                assert all(p.file == display and p.fatal for p in skipped)
        _check_the_cli(library, display)


def _check_the_cli(library: Path, display: str) -> None:
    runner = CliRunner()
    validated = runner.invoke(cli, ["validate", str(library)])
    assert validated.exit_code in (0, 1), validated.output
    assert "Traceback" not in validated.output
    lines = validated.output.splitlines()
    # One line per skill with problems (best match first; --verbose shows the rest), then the summary.
    problem_lines = [line for line in lines if line.removeprefix("warning: ").startswith(f"{display}: ")]
    assert len(problem_lines) <= 1, validated.output
    assert lines[-1].startswith("2 skills checked (lenient): "), validated.output
    assert _terminal_safe(validated.output), validated.output
    listed = runner.invoke(cli, ["--path", str(library), "--only", "list"])
    assert listed.exit_code == 0, listed.output
    assert GOOD_NEIGHBOUR in listed.output and "Traceback" not in listed.output
    assert _terminal_safe(listed.output), listed.output
    routed = runner.invoke(cli, ["--path", str(library), "--only", "route", "does good neighbour things"])
    assert routed.exit_code == 0, routed.output
    assert _terminal_safe(routed.output), routed.output


def _terminal_safe(output: str) -> bool:
    """Return True when ``output`` holds no control character but newlines (and no bidi override)."""
    return not any(
        (unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n") or "\u202a" <= ch <= "\u202e"
        for ch in output
    )
