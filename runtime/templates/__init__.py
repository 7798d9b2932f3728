"""Running a state machine from a CloudFormation or SAM template (``asl run template.yaml``).

:func:`read_template` tells a template from a definition; :func:`prepare` picks the state
machine, resolves its definition as CloudFormation would (parameters, pseudo parameters,
``Ref``/``Fn::GetAtt`` to the template's own resources, ``DefinitionSubstitutions``), creates
the resources it uses in the ``--aws`` backend, binds its Python Lambda functions to their
local handlers and registers its nested state machines. See docs/cli-run.md, "Templates".
:func:`template_schedules` and :func:`install_schedules` read a template's schedules
(``AWS::Scheduler::Schedule``, SAM ``Schedule``/``ScheduleV2`` events) into a store (see
docs/schedules.md).
"""

from runtime.templates._errors import TemplateError
from runtime.templates._prepare import PreparedRun, default_stack_name, prepare
from runtime.templates._schedules import (
    TemplateSchedule,
    TemplateSchedules,
    install_schedules,
    template_schedules,
)
from runtime.templates._template import Template, read_template

__all__ = [
    "PreparedRun",
    "Template",
    "TemplateError",
    "TemplateSchedule",
    "TemplateSchedules",
    "default_stack_name",
    "install_schedules",
    "prepare",
    "read_template",
    "template_schedules",
]
