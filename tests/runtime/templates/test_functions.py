"""A template's Python functions run as local handlers, under their name and ARN, with their
``Environment.Variables`` (SAM ``Globals`` merged) set while they run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import runtime
from runtime.tasks import ConfigurationError
from runtime.templates import prepare
from runtime.templates._environment import EnvironmentLeases
from tests.runtime.templates.support import write_template

ECHO = """\
import os

def handler(event, context):
    names = ("COLOUR", "SHAPE", "STAGE")
    return {"env": {n: os.environ.get(n) for n in names}, "function": context.function_name,
            "module": __name__, "event": event}
"""

TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: test}
Globals:
  Function:
    Runtime: python3.12
    Environment:
      Variables: {COLOUR: blue, STAGE: !Ref Stage}
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionSubstitutions:
        First: !GetAtt First.Arn
        Second: !Ref Second
        Inline: !GetAtt Inline.Arn
      Definition:
        StartAt: CallFirst
        States:
          CallFirst:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${First}", Payload: {n: 1}}
            ResultSelector: {"r.$": "$.Payload"}
            ResultPath: $.first
            Next: CallSecond
          CallSecond:
            Type: Task
            Resource: arn:aws:states:::lambda:invoke
            Parameters: {FunctionName: "${Second}"}
            ResultSelector: {"r.$": "$.Payload"}
            ResultPath: $.second
            Next: CallInline
          CallInline:
            Type: Task
            Resource: "${Inline}"
            ResultPath: $.inline
            End: true
  First:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: first/
      Handler: app.handler
      Environment:
        Variables: {SHAPE: circle}
  Second:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: second-function
      CodeUri: second
      Handler: pkg.app.handler
      Environment:
        Variables: {COLOUR: red}
  Inline:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.11
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          import os
          def handler(event, context):
              return {"colour": os.environ.get("COLOUR"), "shape": os.environ.get("SHAPE")}
      Environment:
        Variables: {SHAPE: square}
  Role:
    Type: AWS::IAM::Role
"""
FILES = {
    "first/app.py": ECHO,
    "second/pkg/__init__.py": "",
    "second/pkg/app.py": ECHO.replace('"module": __name__', '"module": "second"'),
}


def test_functions_run_locally_with_their_environment(tmp_path: Path) -> None:
    template = write_template(tmp_path, TEMPLATE, FILES)
    prepared = prepare(template, aws="off")
    assert set(prepared.lambdas) == {"app-First", "second-function", "app-Inline"}
    assert prepared.warnings == ()
    assert "COLOUR" not in os.environ
    result = runtime.execute(prepared.machine.definition, {}, lambdas=prepared.lambdas)
    assert result.status == "SUCCEEDED", result.cause
    first, second = result.output["first"]["r"], result.output["second"]["r"]
    assert first["env"] == {"COLOUR": "blue", "SHAPE": "circle", "STAGE": "test"}
    assert first["function"] == "app-First"
    assert second["env"] == {"COLOUR": "red", "SHAPE": None, "STAGE": "test"}
    assert second["module"] == "second"
    assert result.output["inline"] == {"colour": None, "shape": "square"}  # no SAM Globals
    assert "COLOUR" not in os.environ and "SHAPE" not in os.environ  # given back after


def test_same_module_name_in_two_folders(tmp_path: Path) -> None:
    files = {
        "one/app.py": "def handler(event, context):\n    return 'one'\n",
        "two/app.py": "def handler(event, context):\n    return 'two'\n",
    }
    text = """\
Resources:
  Machine:
    Type: AWS::StepFunctions::StateMachine
    Properties:
      Definition:
        StartAt: One
        States:
          One: {Type: Task, Resource: !GetAtt One.Arn, ResultPath: $.one, Next: Two}
          Two: {Type: Task, Resource: !GetAtt Two.Arn, ResultPath: $.two, End: true}
  One:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: one}
  Two:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./two/}
"""
    prepared = prepare(write_template(tmp_path, text, files), aws="off")
    result = runtime.execute(prepared.machine.definition, {}, lambdas=prepared.lambdas)
    assert result.output == {"one": "one", "two": "two"}


@pytest.mark.parametrize(
    ("properties", "why"),
    [
        ("Runtime: nodejs20.x, Handler: index.handler, CodeUri: src", "its Runtime is nodejs20.x"),
        ("PackageType: Image, ImageUri: repo/image:1", "it is a container image"),
        ("Runtime: python3.12, Handler: app.handler, CodeUri: s3://b/k.zip", "not in a local"),
        ("Runtime: python3.12, CodeUri: src", "it has no Handler of the form module.function"),
    ],
)
def test_functions_that_do_not_run_locally_are_named(
    tmp_path: Path, properties: str, why: str
) -> None:
    text = f"""\
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Call
        States: {{Call: {{Type: Task, Resource: !GetAtt Fn.Arn, End: true}}}}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {{{properties}}}
"""
    prepared = prepare(write_template(tmp_path, text), aws="off")
    assert prepared.lambdas == {}
    (warning,) = prepared.warnings
    assert warning.startswith("function Fn does not run locally: ")
    assert why in warning
    assert "(bind it with --lambda app-Fn=MODULE:FUNCTION)" in warning


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "function Fn (Handler app.handler): no module 'app': "),
        ({"src/app.py": "raise RuntimeError('boom')"}, "raised RuntimeError: boom"),
        ({"src/app.py": "x = 1"}, "has no attribute 'handler'"),
    ],
)
def test_handlers_that_cannot_load(tmp_path: Path, files: dict[str, str], message: str) -> None:
    text = """\
Resources:
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition:
        StartAt: Call
        States: {Call: {Type: Task, Resource: !GetAtt Fn.Arn, End: true}}
  Fn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: src}
"""
    (tmp_path / "app" / "src").mkdir(parents=True)
    with pytest.raises(ConfigurationError) as caught:  # TemplateError is one too: exit 2
        prepare(write_template(tmp_path, text, files), aws="off")
    assert message in str(caught.value)


def test_environment_leases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASL_TEST_KEPT", "before")
    monkeypatch.delenv("ASL_TEST_NEW", raising=False)
    leases = EnvironmentLeases()
    red: dict[str, str] = {"ASL_TEST_KEPT": "red", "ASL_TEST_NEW": "x"}
    assert leases.acquire(red)
    assert leases.acquire({"ASL_TEST_KEPT": "red"}, blocking=False)  # agrees: runs alongside
    assert not leases.acquire({"ASL_TEST_KEPT": "blue"}, blocking=False)  # must wait
    assert os.environ["ASL_TEST_KEPT"] == "red" and os.environ["ASL_TEST_NEW"] == "x"
    leases.release({"ASL_TEST_KEPT": "red"})
    assert os.environ["ASL_TEST_KEPT"] == "red"  # still held by the first
    leases.release(red)
    assert os.environ["ASL_TEST_KEPT"] == "before"
    assert "ASL_TEST_NEW" not in os.environ
    assert leases.acquire({"ASL_TEST_KEPT": "blue"}, blocking=False)
    leases.release({"ASL_TEST_KEPT": "blue"})
