"""``asl test-state``: run one state once, as AWS's TestState API does, and print the response.

Exit codes: 0 the call was answered (whatever the state's status: SUCCEEDED, FAILED, RETRIABLE
or CAUGHT_ERROR); 2 a refused call (AWS's error code and message on stderr), an unreadable file
or bad options. See docs/test-state.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``asl test-state``."""
    from runtime.cli.run import add_task_options

    parser = subparsers.add_parser(
        "test-state",
        help="test one state as AWS's TestState API does",
        description="Run one state of a definition once, as AWS Step Functions' TestState API "
        "does, and print the TestState response as JSON: status, output or error and cause, "
        "nextState and, at DEBUG and TRACE, inspectionData.",
        epilog="Exit status: 0 the call was answered (whatever the state's status), 2 a call "
        "AWS would refuse (its message on stderr), an unreadable file or bad options.",
    )
    parser.add_argument(
        "file", metavar="DEFINITION_FILE", help="one state, or a whole machine (JSON or YAML)"
    )
    parser.add_argument("--input", metavar="JSON", help="the state's input (default {})")
    parser.add_argument("--state-name", metavar="N", help="the state to test in a whole machine")
    parser.add_argument(
        "--inspection-level",
        choices=("INFO", "DEBUG", "TRACE"),
        default="INFO",
        help="INFO (default), DEBUG (each data-flow stage) or TRACE (and HTTP exchanges)",
    )
    mock = parser.add_mutually_exclusive_group()
    mock.add_argument("--mock-result", metavar="JSON", help="mock the state's result")
    mock.add_argument("--mock-error", metavar="E", help="mock the state failing with error E")
    parser.add_argument("--mock-cause", metavar="C", help="the cause of --mock-error")
    parser.add_argument(
        "--field-validation-mode",
        choices=("STRICT", "PRESENT", "NONE"),
        help="how --mock-result is checked against the service's API (default STRICT)",
    )
    parser.add_argument("--context", metavar="JSON", help="the context object, used as given")
    parser.add_argument("--variables", metavar="JSON", help="the variables in scope")
    parser.add_argument(
        "--state-configuration",
        metavar="JSON",
        help='e.g. {"retrierRetryCount": 1} or {"mapIterationFailureCount": 2}',
    )
    parser.add_argument("--role-arn", metavar="ARN", help="the execution role (default: local)")
    add_task_options(parser, mocks=False)
    parser.set_defaults(func=test_state)


def test_state(args: argparse.Namespace) -> int:
    """``asl test-state``: returns the exit status."""
    from runtime.cli.run import guarded

    return guarded("test-state", lambda: _test_state(args))


test_state.__test__ = False  # type: ignore[attr-defined]  # a command, not a pytest test


def _test_state(args: argparse.Namespace) -> int:
    from runtime.cli.run import UsageError, _absolute_file, _pairs, _read_definition
    from runtime.teststate import TestStateError, answer, environment, local_role

    if args.mock_cause is not None and args.mock_error is None:
        raise UsageError("--mock-cause needs --mock-error")
    if args.field_validation_mode and args.mock_result is None:
        raise UsageError("--field-validation-mode applies to --mock-result")
    params: dict[str, Any] = {"definition": _definition(_read_definition(args.file), args.file)}
    for key, text in (
        ("input", args.input),
        ("context", args.context),
        ("variables", args.variables),
    ):
        if text is not None:
            params[key] = text
    config = _json(args.state_configuration, "--state-configuration")
    if config is not None:
        if not isinstance(config, dict):
            raise UsageError("--state-configuration must be a JSON object")
        params["stateConfiguration"] = config
    if args.state_name is not None:
        params["stateName"] = args.state_name
    params["inspectionLevel"] = args.inspection_level
    mock: dict[str, Any] = {}
    if args.mock_result is not None:
        mock["result"] = args.mock_result
        if args.field_validation_mode:
            mock["fieldValidationMode"] = args.field_validation_mode
    if args.mock_error is not None:
        mock["errorOutput"] = {"error": args.mock_error}
        if args.mock_cause is not None:
            mock["errorOutput"]["cause"] = args.mock_cause
    if mock:
        params["mock"] = mock
    params["roleArn"] = args.role_arn or local_role()
    lambdas = {
        k: _absolute_file(v)
        for k, v in _pairs(args.lambdas, "--lambda", "NAME=MODULE:FUNCTION").items()
    }
    bindings = _pairs(args.bind, "--bind", "RESOURCE=TARGET")
    try:
        response = answer(params, environment(lambdas=lambdas, bind=bindings))
    except TestStateError as exc:
        print(f"asl test-state: {exc.code}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(response, indent=2, ensure_ascii=False))
    return EXIT_OK


def _definition(text: str, path: str) -> str:
    """The definition as JSON text (a YAML file is read as YAML)."""
    if not path.lower().endswith((".yaml", ".yml")):
        return text
    import yaml

    from runtime.cli.run import UsageError

    try:
        return json.dumps(yaml.safe_load(text))
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not YAML: {exc}")


def _json(text: str | None, flag: str) -> Any:
    if text is None:
        return None
    from runtime.cli.run import UsageError

    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: not JSON ({exc})")
