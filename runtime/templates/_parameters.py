"""Template ``Parameters``: the values a run uses (``--parameter Key=Value``, else defaults)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from runtime.templates._errors import TemplateError
from runtime.templates._template import Template


def parameter_values(template: Template, given: Mapping[str, str]) -> dict[str, Any]:
    """Each declared parameter's value: given, else its ``Default``. A list type
    (``CommaDelimitedList``, ``List<...>``) gives a list of strings, anything else a string.

    Raises :class:`TemplateError` for a given name the template does not declare, a parameter
    with neither value nor default, or a value its ``AllowedValues``/``AllowedPattern`` refuse.
    """
    declared = template.body.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError(f"{template.where('/Parameters')}: Parameters must be an object")
    for name in given:
        if name not in declared:
            known = ", ".join(declared) or "none"
            raise TemplateError(
                f"--parameter {name}: {template.path} declares no parameter {name!r} "
                f"(its parameters: {known})"
            )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in given:
            text = given[name]
        elif "Default" in spec:
            text = _text(spec["Default"])
        else:
            raise TemplateError(
                f"{template.where('/Parameters/' + name)}: parameter {name} has no Default; "
                f"give it a value with --parameter {name}=VALUE"
            )
        _check(name, text, spec)
        kind = str(spec.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        values[name] = [part.strip() for part in text.split(",")] if is_list else text
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    return str(value)


def _check(name: str, text: str, spec: Mapping[str, Any]) -> None:
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and text not in [_text(a) for a in allowed]:
        options = ", ".join(_text(a) for a in allowed)
        raise TemplateError(f"parameter {name}={text!r} is not one of its AllowedValues: {options}")
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str) and re.fullmatch(pattern, text) is None:
        raise TemplateError(
            f"parameter {name}={text!r} does not match its AllowedPattern {pattern}"
        )
    if spec.get("Type") == "Number":
        try:
            float(text)
        except ValueError:
            raise TemplateError(f"parameter {name}={text!r} is of Type Number: give a number")


__all__ = ["parameter_values"]
