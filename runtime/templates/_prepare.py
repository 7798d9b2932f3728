"""Getting one state machine of a template ready to run: resolve, create, bind, register."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.core.arns import ACCOUNT, REGION
from runtime.tasks.aws import AwsMode, resolve_mode
from runtime.templates._errors import TemplateError
from runtime.templates._functions import bind, read_function
from runtime.templates._machines import MachineDefinition, machine_definition, register_machines
from runtime.templates._provision import PROVISIONERS, provision
from runtime.templates._stack import Stack
from runtime.templates._template import Template
from runtime.templates._uses import (
    FUNCTION_TYPES,
    MACHINE_TYPES,
    named_resources,
    used_resources,
)

RUN_BY_THE_ENGINE = frozenset({"AWS::StepFunctions::Activity"})


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """A template's state machine ready for :func:`runtime.drivers.runner.start`.

    ``machine`` is the machine to run (its name, type and resolved definition); ``lambdas``
    maps the names of the template's Python functions it uses to their handler specs (for
    ``RunOptions.lambdas``); ``created`` lists the logical ids of the resources asl created or
    found in the backend; ``warnings`` what will not work as deployed (a function that is not
    Python, a resource type asl does not create).
    """

    machine: MachineDefinition
    lambdas: dict[str, str]
    created: tuple[str, ...]
    warnings: tuple[str, ...]


def prepare(
    template: Template,
    *,
    resource: str | None = None,
    parameters: Mapping[str, str] | None = None,
    aws: AwsMode | str | None = None,
    stack_name: str | None = None,
) -> PreparedRun:
    """Prepare the state machine ``resource`` of ``template`` (its only one by default).

    With ``aws`` ``moto`` or ``aws`` (default ``$ASL_AWS``), the resources the machine uses
    that asl creates are created in that backend unless they exist; every mode binds the
    machine's Python functions and registers its state machines for ``states:startExecution``.
    Raises :class:`TemplateError` with what to fix.
    """
    mode = resolve_mode(aws)
    chosen = template.choose(resource)
    clients = _clients(mode)
    stack = Stack(
        template,
        parameters,
        region=clients.region if clients is not None else configured_region(),
        account=_account_of(clients) if clients is not None else ACCOUNT,
        stack_name=stack_name or default_stack_name(template.path),
    )
    roots = [chosen.logical_id]
    used = [i for i in used_resources(template, roots) if stack.exists(i)]
    named = named_resources(stack, used)
    if named:
        used = [i for i in used_resources(template, roots + named) if stack.exists(i)]
    created = provision(stack, used, clients) if clients is not None else []
    lambdas: dict[str, str] = {}
    warnings: list[str] = []
    machines: list[MachineDefinition] = []
    for logical_id in used:
        resource_type = stack.resource_type(logical_id)
        if resource_type in MACHINE_TYPES:
            machines.append(machine_definition(stack, logical_id))
        elif resource_type in FUNCTION_TYPES:
            function = read_function(stack, logical_id)
            if isinstance(function, str):
                name = stack.name(logical_id)
                warnings.append(
                    f"function {logical_id} does not run locally: {function} "
                    f"(bind it with --lambda {name}=MODULE:FUNCTION)"
                )
            else:
                lambdas[function.name] = bind(function, template.path)
        elif clients is not None and not (
            resource_type in PROVISIONERS or resource_type in RUN_BY_THE_ENGINE
        ):
            warnings.append(
                f"{logical_id} ({resource_type}) is not created: asl creates "
                f"{', '.join(sorted(PROVISIONERS))}; calls to it go to the backend as they are"
            )
    register_machines(machines)
    main = next(m for m in machines if m.logical_id == chosen.logical_id)
    return PreparedRun(main, lambdas, tuple(created), tuple(warnings))


def _clients(mode: AwsMode) -> Any:
    if mode is AwsMode.OFF:
        return None
    from runtime.tasks.aws.clients import AwsClients

    return AwsClients(mode)


def _account_of(clients: Any) -> Any:
    def account() -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return str(clients.client("sts").get_caller_identity()["Account"])
        except (BotoCoreError, ClientError) as exc:
            raise TemplateError(f"cannot learn the AWS account (sts GetCallerIdentity): {exc}")

    return account


def configured_region() -> str:
    """The region of the AWS configuration (``AWS_REGION``, the config file...), else us-east-1."""
    try:
        import botocore.session
    except ImportError:
        return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or REGION
    return botocore.session.get_session().get_config_variable("region") or REGION


def default_stack_name(path: str) -> str:
    """``AWS::StackName`` of a local run: the template's folder name, as a stack name may be
    written (``state_machines/sam_orders/template.yaml`` -> ``sam-orders``)."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    name = re.sub(r"[^A-Za-z0-9-]+", "-", folder).strip("-")
    if not name:
        return "stack"
    return name if name[0].isalpha() else f"stack-{name}"


__all__ = ["PreparedRun", "configured_region", "default_stack_name", "prepare"]
