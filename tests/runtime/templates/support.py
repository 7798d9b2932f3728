"""Writing a template (and files next to it) into a folder and reading it back."""

from __future__ import annotations

import textwrap
from pathlib import Path

from runtime.templates import Template, read_template


def write_template(
    folder: Path, text: str, files: dict[str, str] | None = None, *, name: str = "template.yaml"
) -> Template:
    """``text`` (dedented) as ``folder/app/NAME``, with ``files`` beside it; the Template."""
    app = folder / "app"
    app.mkdir(exist_ok=True)
    for relative, content in (files or {}).items():
        path = app / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content))
    path = app / name
    path.write_text(textwrap.dedent(text))
    template = read_template(path.read_text(), str(path))
    assert template is not None, "not read as a template"
    return template
