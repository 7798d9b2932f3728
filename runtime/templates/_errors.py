"""The one error a template run raises for the user."""

from __future__ import annotations

from runtime.tasks import ConfigurationError


class TemplateError(ConfigurationError):
    """A template cannot be run as asked: what is wrong, where in the template, how to fix it.

    A :class:`~runtime.tasks.ConfigurationError`, so ``asl run`` reports it and exits 2.
    """


__all__ = ["TemplateError"]
