"""The public surface: ``skillpack.__all__`` is sorted, complete, and pinned."""

from __future__ import annotations

import inspect
import types

import skillpack
from skillpack import errors

#: The exported names. Change this on purpose, together with README and CHANGELOG, never by accident.
EXPORTED = {
    "Backend",
    "BackendError",
    "Chosen",
    "ManifestError",
    "Match",
    "MissingExtraError",
    "Problem",
    "Ranking",
    "Rejected",
    "Reply",
    "Request",
    "Requirement",
    "Router",
    "RunResult",
    "Selection",
    "Shadowed",
    "Skill",
    "SkillContentError",
    "SkillNotFoundError",
    "SkillPack",
    "SkillRoot",
    "SkillpackError",
    "TokenizerError",
    "UnknownComponentError",
    "Usage",
    "UsageError",
    "__version__",
    "hookimpl",
    "search_path",
    "user_home",
    "validate_pack",
}


def test_all_is_sorted_and_unique() -> None:
    assert skillpack.__all__ == sorted(set(skillpack.__all__))


def test_exported_names_are_pinned() -> None:
    added = set(skillpack.__all__) - EXPORTED
    removed = EXPORTED - set(skillpack.__all__)
    assert not added and not removed, (
        f"public API changed (added {sorted(added)}, removed {sorted(removed)}): update EXPORTED in"
        " tests/test_public_api.py, the README and the CHANGELOG if this is on purpose"
    )


def test_every_exported_name_exists() -> None:
    for name in skillpack.__all__:
        assert hasattr(skillpack, name), name


def test_all_is_complete() -> None:
    public = {
        name
        for name, value in vars(skillpack).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", "").startswith("skillpack")
    }
    assert public <= set(skillpack.__all__), sorted(public - set(skillpack.__all__))


def test_every_error_is_exported() -> None:
    classes = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, errors.SkillpackError)
    }
    assert classes <= set(skillpack.__all__), sorted(classes - set(skillpack.__all__))


def test_error_hierarchy_and_exit_codes() -> None:
    assert errors.UsageError.exit_code == 2
    for name in ("SkillNotFoundError", "UnknownComponentError"):
        assert issubclass(getattr(errors, name), errors.UsageError)
        assert issubclass(getattr(errors, name), LookupError)
    for name in ("ManifestError", "SkillContentError", "TokenizerError", "BackendError", "MissingExtraError"):
        cls = getattr(errors, name)
        assert issubclass(cls, errors.SkillpackError) and not issubclass(cls, errors.UsageError)
        assert cls.exit_code == 1
    docstring = errors.__doc__ or ""
    for name in vars(errors):
        value = getattr(errors, name)
        if inspect.isclass(value) and issubclass(value, errors.SkillpackError):
            assert name in docstring, f"{name} is missing from the hierarchy drawn in errors.py's docstring"


def test_error_messages_say_how_to_fix() -> None:
    assert (
        str(errors.SkillNotFoundError("x", []))
        == "no skill named 'x'; run `skillpack list` to see what is installed"
    )
    assert str(errors.UnknownComponentError("router", "zed", ["lexical", "hybrid"])) == (
        "unknown router 'zed'; choose one of: hybrid, lexical"
    )
    assert str(errors.MissingExtraError("local models", "local", "llama_cpp")) == (
        "local models needs the optional module 'llama_cpp'; install it with: pip install 'skillpack[local]'"
    )


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    assert skillpack.__version__ == version("skillpack")
