"""``module:function`` specs: what loads, and errors that say how to fix what does not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runtime.handlers.loading import ConfigurationError, load_callable
from tests.runtime.tasks import handlers

HANDLERS = "tests.runtime.tasks.handlers"

# spec, fragments of the message
INVALID = [
    ("handlers", ["is not of the form module:function"]),
    (":echo", ["is not of the form module:function"]),
    ("no_such_module_xyz:f", ["cannot import module 'no_such_module_xyz'", "PYTHONPATH"]),
    ("tests.runtime.tasks.nope_xyz:f", ["cannot import module 'tests.runtime.tasks.nope_xyz'"]),
    (f"{HANDLERS}:nope", ["has no attribute 'nope'", "It defines: ", "echo"]),
    (f"{HANDLERS}:not_a_function", ["is a int, not a function"]),
    ("/no/such/dir/tasks.py:f", ["file '/no/such/dir/tasks.py' does not exist"]),
]


@pytest.mark.parametrize(("spec", "fragments"), INVALID)
def test_invalid_specs(spec, fragments):
    with pytest.raises(ConfigurationError) as info:
        load_callable(spec, purpose="--lambda orders=" + spec)
    message = str(info.value)
    assert message.startswith("--lambda orders=")
    for fragment in fragments:
        assert fragment in message


def test_module_and_attribute_paths():
    assert load_callable(f"{HANDLERS}:echo", purpose="x") is handlers.echo
    assert load_callable("json:JSONDecoder.decode", purpose="x").__name__ == "decode"


# file contents, fragment of the message
BROKEN_FILES = [
    ("x = 1 / 0\n", "raised ZeroDivisionError: division by zero"),
    ("import asl_missing_dependency_xyz\n", "Install 'asl_missing_dependency_xyz'"),
    ("def f(:\n", "raised SyntaxError"),
]


@pytest.mark.parametrize(("source", "fragment"), BROKEN_FILES)
def test_broken_modules(tmp_path: Path, source: str, fragment: str, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "broken_task_mod.py").write_text(source)
    sys.modules.pop("broken_task_mod", None)
    for spec in ("broken_task_mod:f", f"{tmp_path / 'broken_task_mod.py'}:f"):
        with pytest.raises(ConfigurationError) as info:
            load_callable(spec, purpose="p")
        assert fragment in str(info.value)
    sys.modules.pop("broken_task_mod", None)


def test_file_path_with_sibling_import(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    (tmp_path / "helpers_sibling_xyz.py").write_text("def greet(n):\n    return 'hi ' + n\n")
    (tmp_path / "task_file.py").write_text(
        "from helpers_sibling_xyz import greet\n\ndef handler(event, context):\n"
        "    return greet(event)\n"
    )
    fn = load_callable(str(tmp_path / "task_file.py") + ":handler", purpose="p")
    assert fn("ann", None) == "hi ann"
    sys.modules.pop("helpers_sibling_xyz", None)


def test_modules_in_the_working_directory(tmp_path: Path, monkeypatch):
    (tmp_path / "cwd_task_mod_xyz.py").write_text("def handler(e):\n    return e\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert load_callable("cwd_task_mod_xyz:handler", purpose="p")(5) == 5
    sys.modules.pop("cwd_task_mod_xyz", None)
