"""Reading manifests: both forms, front matter splitting, and every way a manifest can be unusable."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml
from support.hang import within

from skillpack.errors import ManifestError
from skillpack.manifest import MAX_MANIFEST_BYTES, manifest_path, read_manifest


def write(folder: Path, name: str, content: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def refusal(folder: Path) -> str:
    with pytest.raises(ManifestError) as caught:
        read_manifest(folder)
    assert caught.value.problem.fatal
    assert "\n" not in str(caught.value)
    return str(caught.value)


def test_native_manifest_is_read_without_instructions(tmp_path: Path) -> None:
    folder = tmp_path / "tidy"
    write(folder, "skill.yaml", "name: tidy\ndescription: Tidies things.\ntags: [a, b]\n")
    raw = read_manifest(folder)
    assert raw.form == "native"
    assert raw.display == "tidy/skill.yaml"
    assert raw.data == {"name": "tidy", "description": "Tidies things.", "tags": ["a", "b"]}
    assert raw.body_offset is None
    assert len(raw.sha256) == 64


def test_agent_skills_front_matter_and_body_offset(tmp_path: Path) -> None:
    folder = tmp_path / "tidy"
    text = "---\nname: tidy\ndescription: Tidies things.\n---\n# Body\n"
    path = write(folder, "SKILL.md", text)
    raw = read_manifest(folder)
    assert raw.form == "agent-skills"
    assert raw.data == {"name": "tidy", "description": "Tidies things."}
    assert raw.body_offset is not None
    assert path.read_bytes()[raw.body_offset :] == b"# Body\n"


def test_dashes_inside_a_value_do_not_end_the_front_matter(tmp_path: Path) -> None:
    folder = tmp_path / "dash"
    write(folder, "SKILL.md", "---\nname: dash\ndescription: a---b\n---\nbody\n")
    assert read_manifest(folder).data["description"] == "a---b"


def test_dashes_inside_a_block_scalar_do_not_end_the_front_matter(tmp_path: Path) -> None:
    folder = tmp_path / "block"
    write(
        folder,
        "SKILL.md",
        "---\nname: block\ndescription: |\n  first\n  ---\n  after\nlicense: MIT\n---\nbody\n",
    )
    data = read_manifest(folder).data
    assert data["description"] == "first\n---\nafter\n"
    assert data["license"] == "MIT"


def test_bom_and_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    folder = tmp_path / "crlf"
    write(folder, "SKILL.md", b"\xef\xbb\xbf---\r\nname: crlf\r\ndescription: x\r\n---\r\nbody\r\n")
    assert read_manifest(folder).data == {"name": "crlf", "description": "x"}


def test_dates_stay_text(tmp_path: Path) -> None:
    folder = tmp_path / "dated"
    write(folder, "skill.yaml", "name: dated\ndescription: x\nmetadata:\n  updated: 2024-05-01\n")
    assert read_manifest(folder).data["metadata"] == {"updated": "2024-05-01"}


def test_native_wins_over_skill_md_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "both"
    write(folder, "skill.yaml", "name: both\ndescription: native\n")
    write(folder, "SKILL.md", "---\nname: both\ndescription: standard\n---\n")
    path, form, notes = manifest_path(folder)
    assert (path.name, form) == ("skill.yaml", "native")
    assert [n.code for n in notes] == ["two-manifests"]
    assert read_manifest(folder).data["description"] == "native"


def test_folder_without_manifest(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert refusal(tmp_path / "empty") == (
        "empty/: folder: no SKILL.md or skill.yaml in this folder — add one (`skillpack new empty` writes a"
        " scaffold), or move the folder out of the skill path"
    )


def test_a_folder_named_skill_yaml_is_not_a_manifest(tmp_path: Path) -> None:
    (tmp_path / "odd" / "skill.yaml").mkdir(parents=True)
    assert "no SKILL.md or skill.yaml" in refusal(tmp_path / "odd")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need os.mkfifo")
@pytest.mark.parametrize("manifest", ["SKILL.md", "skill.yaml"])
def test_a_manifest_that_is_a_named_pipe_is_refused_not_waited_on(tmp_path: Path, manifest: str) -> None:
    folder = tmp_path / "piped"
    folder.mkdir()
    os.mkfifo(folder / manifest)
    message = within(5, lambda: refusal(folder))
    assert message == (
        f"piped/{manifest}: file: the manifest is a named pipe (FIFO), not a regular file"
        f" — replace {manifest} with a UTF-8 text file"
    )


def test_a_broken_symlink_manifest_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "dangling"
    folder.mkdir()
    os.symlink("gone.md", folder / "SKILL.md")
    assert refusal(folder).startswith("dangling/SKILL.md: file: the manifest is a broken symlink")


def test_native_manifest_over_64_kib(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    write(folder, "skill.yaml", "name: big\ndescription: x\n" + "# pad\n" * (MAX_MANIFEST_BYTES // 6 + 10))
    message = refusal(folder)
    assert message.startswith("big/skill.yaml: file: manifest is 65,")
    assert "the limit is 65,536 (64 KiB)" in message


def test_front_matter_over_64_kib(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    write(
        folder,
        "SKILL.md",
        "---\nname: big\ndescription: x\n" + "# pad\n" * (MAX_MANIFEST_BYTES // 6 + 10) + "---\n",
    )
    assert refusal(folder).startswith(
        "big/SKILL.md: front matter: front matter is over 65,536 bytes (64 KiB)"
    )


def test_long_body_is_fine_when_front_matter_is_small(tmp_path: Path) -> None:
    folder = tmp_path / "long"
    write(folder, "SKILL.md", "---\nname: long\ndescription: x\n---\n" + "text\n" * 100_000)
    assert read_manifest(folder).data["name"] == "long"


def test_missing_opening_fence(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    write(folder, "SKILL.md", "# Just markdown\n")
    assert refusal(folder).startswith("plain/SKILL.md: line 1: no YAML front matter")


def test_unterminated_front_matter(tmp_path: Path) -> None:
    folder = tmp_path / "open"
    write(folder, "SKILL.md", "---\nname: open\ndescription: x\n")
    assert refusal(folder) == (
        "open/SKILL.md: line 4: unterminated front matter: no closing '---' line before the end of the file"
        " — add a line '---' after the last manifest field"
    )


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["name: bomb", "description: x", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 12):
        previous = chr(ord("a") + level - 1)
        current = chr(ord("a") + level)
        lines.append(f"{current}: &{current} [" + ",".join([f"*{previous}"] * 9) + "]")
    folder = tmp_path / "bomb"
    write(folder, "skill.yaml", "\n".join(lines) + "\n")
    started = time.perf_counter()
    message = refusal(folder)
    assert time.perf_counter() - started < 1.0
    assert message.startswith("bomb/skill.yaml: line 4, column ")
    assert "YAML aliases (*name) are not allowed in a manifest" in message


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: m\ndescription: x\nbase: &b {a: '1'}\nmetadata:\n  <<: *b\n", "line 5, column 7"),
        ("name: m\ndescription: &d x\ntags: [a, *d]\n", "line 3, column 11"),
        ("name: m\ndescription: x\ntags: &t [a, *t]\n", "line 3, column 14"),
    ],
)
def test_every_alias_is_refused_at_the_alias(tmp_path: Path, text: str, where: str) -> None:
    folder = tmp_path / "m"
    write(folder, "skill.yaml", text)
    assert refusal(folder).startswith(f"m/skill.yaml: {where}: YAML aliases (*name) are not allowed")


def test_manifests_are_scanned_in_c_when_libyaml_is_there() -> None:
    from skillpack.manifest import _loader

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    from yaml._yaml import CParser

    assert issubclass(_loader(), CParser)


def test_duplicate_key_names_both_lines(tmp_path: Path) -> None:
    folder = tmp_path / "dup"
    write(folder, "SKILL.md", "---\nname: dup\ndescription: one\ndescription: two\n---\n")
    assert refusal(folder) == (
        "dup/SKILL.md: line 4, column 1: duplicate key 'description' (first at line 2) — keep one of them"
    )


def test_nested_duplicate_key(tmp_path: Path) -> None:
    folder = tmp_path / "dup"
    write(folder, "skill.yaml", "name: dup\ndescription: x\nmetadata:\n  a: '1'\n  a: '2'\n")
    assert "duplicate key 'a' (first at line 4)" in refusal(folder)


def test_yaml_syntax_error_points_at_the_file_line(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    write(folder, "SKILL.md", "---\nname: broken\ndescription: [unclosed\n---\n")
    message = refusal(folder)
    assert message.startswith("broken/SKILL.md: line ")
    assert "YAML syntax error" in message


def test_not_utf8(tmp_path: Path) -> None:
    folder = tmp_path / "latin"
    write(folder, "skill.yaml", "name: latin\ndescription: café\n".encode("latin-1"))
    assert refusal(folder) == (
        "latin/skill.yaml: line 2: not UTF-8 text (byte 0xe9 at offset 28) — save the file as UTF-8"
    )


def test_binary_native_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    write(folder, "skill.yaml", b"name: bin\x00\x01\x02")
    assert refusal(folder).startswith("bin/skill.yaml: byte 9: binary data (a NUL byte), not text")


def test_binary_skill_md(tmp_path: Path) -> None:
    folder = tmp_path / "bin"
    write(folder, "SKILL.md", b"\x00\x01\x02\x03" * 64)
    assert refusal(folder).startswith("bin/SKILL.md: byte 0: binary data (a NUL byte), not text")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- name: x\n- description: y\n", "the manifest is a list, not a mapping"),
        ("just a sentence\n", "the manifest is a single str value, not a mapping"),
        ("42\n", "the manifest is a single int value, not a mapping"),
        ("", "the manifest is empty"),
    ],
)
def test_manifest_must_be_a_mapping(tmp_path: Path, content: str, expected: str) -> None:
    folder = tmp_path / "shape"
    write(folder, "skill.yaml", content)
    assert refusal(folder).startswith(f"shape/skill.yaml: $: {expected} — ")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    write(folder, "skill.yaml", "name: evil\ndescription: !!python/object/apply:os.system ['true']\n")
    assert "YAML" in refusal(folder)


def test_unreadable_manifest_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "locked"
    write(folder, "skill.yaml", "name: locked\ndescription: x\n")
    real_open = open

    def deny(file: object, *args: object, **kwargs: object) -> object:
        if str(file).endswith("skill.yaml"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", deny)
    assert refusal(folder) == (
        "locked/skill.yaml: file: cannot be read: Permission denied — check that the file exists and is readable"
    )


@pytest.mark.parametrize(
    ("value", "column"),
    [("9" * 5000, 10), ("0x" + "f" * 5000, 10), ("-0b1" + "0" * 64, 10), ("[1, " + "9" * 20 + "]", 14)],
    ids=["decimal", "hexadecimal", "binary", "in-a-list"],
)
def test_an_integer_wider_than_64_bits_is_refused_where_it_is(
    tmp_path: Path, value: str, column: int
) -> None:
    # 0x + 5,000 f passed the parser, then broke every command on printing it (Python's 4,300-digit limit).
    folder = tmp_path / "digits"
    write(folder, "skill.yaml", f"name: digits\ndescription: x\nversion: {value}\n")
    assert refusal(folder) == (
        f"digits/skill.yaml: line 3, column {column}: a number wider than 64 bits — quote it if it is text"
        ' (version: "1.0.0"), or use a smaller number'
    )


def test_the_widest_integer_allowed_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "wide"
    write(
        folder, "skill.yaml", f"name: wide\ndescription: x\nmetadata: {{a: {2**64 - 1}, b: {-(2**64 - 1)}}}\n"
    )
    assert read_manifest(folder).data["metadata"] == {"a": 2**64 - 1, "b": -(2**64 - 1)}


def test_mapping_keys_become_text_at_every_depth(tmp_path: Path) -> None:
    # Keys of mixed types cannot be sorted: jsonschema's best_match raised TypeError for every command.
    folder = tmp_path / "keys"
    write(
        folder, "skill.yaml", "name: keys\ndescription: x\nmetadata: {a: 1, 2: 3, null: 4, true: [{5: 6}]}\n"
    )
    assert read_manifest(folder).data["metadata"] == {"a": 1, "2": 3, "None": 4, "True": [{"5": 6}]}


def test_a_key_written_as_number_and_as_text_is_a_duplicate(tmp_path: Path) -> None:
    folder = tmp_path / "twice"
    write(folder, "skill.yaml", "name: twice\ndescription: x\nmetadata:\n  1: a\n  '1': b\n")
    assert refusal(folder) == (
        "twice/skill.yaml: line 4, column 3: duplicate key '1', written two ways (such as 1 and '1') — keep one"
        " of them"
    )


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "deep"
    write(folder, "skill.yaml", "name: deep\ndescription: x\ntags: " + "[" * 600 + "]" * 600 + "\n")
    assert refusal(folder).startswith("deep/skill.yaml: yaml: YAML error: maximum recursion depth exceeded")


def test_nesting_past_libyamls_limit_is_refused_where_it_happens(tmp_path: Path) -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml: the pure-Python parser has no nesting limit of its own")
    folder = tmp_path / "deep"
    write(folder, "skill.yaml", "name: deep\ndescription: x\ntags: " + "[" * 3000 + "]" * 3000 + "\n")
    assert refusal(folder) == (
        "deep/skill.yaml: line 3, column 1006: YAML syntax error: exceeded maximum nesting depth"
        " — nest lists and mappings less deeply"
    )
