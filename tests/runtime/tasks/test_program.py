"""``program:run`` tasks: argv, JSON on stdin, stdout as the result, exit codes as errors."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
import time
from pathlib import Path

import pytest

import asl
from runtime.drivers.clock import VirtualClock
from runtime.drivers.execution import run_execution
from runtime.tasks import ConfigurationError, build_dispatch
from tests.runtime.tasks.support import fails, request, run

PY = sys.executable
RESOURCE = "program:run"


def py(code: str) -> list[str]:
    return [PY, "-c", code]


# parameters, result
RESULTS = [
    ({"Command": py("print('{\"ok\": true}')")}, {"ok": True}),
    ({"Command": py("print('hello world')")}, "hello world"),
    ({"Command": py("print(42)")}, 42),
    ({"Command": py("pass")}, None),
    (
        {
            "Command": py("import json,sys; d=json.load(sys.stdin); print(json.dumps(d['n']+1))"),
            "Input": {"n": 1},
        },
        2,
    ),
    ({"Command": py("import sys; print(repr(sys.stdin.read()))")}, "''"),  # no Input: no stdin
    ({"Command": [*py("import sys; print(sys.argv[1:])"), "a b", "$HOME"]}, "['a b', '$HOME']"),
    (
        {
            "Command": py(
                "import json,os; print(json.dumps([os.environ.get(k) for k in "
                "('ASL_T', 'ASL_GONE')]))"
            ),
            "Env": {"ASL_T": "1", "ASL_GONE": None},
        },
        ["1", None],
    ),
]


@pytest.mark.parametrize(("params", "expected"), RESULTS)
def test_results(params, expected, monkeypatch):
    monkeypatch.setenv("ASL_GONE", "still here")
    assert run(build_dispatch(), RESOURCE, params) == expected


def test_cwd(tmp_path: Path):
    params = {"Command": py("import json,os; print(json.dumps(os.getcwd()))"), "Cwd": str(tmp_path)}
    assert run(build_dispatch(), RESOURCE, params) == str(tmp_path)


# parameters, error, cause fragment
FAILURES = [
    (
        {"Command": py("import sys; sys.stderr.write('bad thing\\n'); sys.exit(3)")},
        "Program.ExitCode.3",
        '"exitCode":3,"stderr":"bad thing\\n"',
    ),
    (
        {"Command": py("import os,signal; os.kill(os.getpid(), signal.SIGTERM)")},
        "Program.Signal.SIGTERM",
        '"signal":"SIGTERM"',
    ),
    ({"Command": ["asl-no-such-program-xyz"]}, "Program.NotFound", "'asl-no-such-program-xyz' not"),
    ({"Command": "python3 x.py"}, "Program.NotFound", "pass arguments as an array"),
    ({"Command": ["true"], "Cwd": "/no/such/dir"}, "Program.NotFound", "Cwd '/no/such/dir'"),
    ({}, "Program.InvalidParameters", "Command must be an array of strings"),
    ({"Command": []}, "Program.InvalidParameters", "Command must be an array of strings"),
    ({"Command": ["true"], "Cmd": 1}, "Program.InvalidParameters", "unknown field(s) Cmd"),
    ({"Command": ["true"], "Env": {"A": 1}}, "Program.InvalidParameters", "Env must be"),
    ({"Command": ["true"], "Cwd": 3}, "Program.InvalidParameters", "Cwd must be a string"),
    ("not an object", "Program.InvalidParameters", "Parameters must be an object"),
]


@pytest.mark.parametrize(("params", "error", "fragment"), FAILURES)
def test_failures(params, error, fragment):
    failure = fails(build_dispatch(), RESOURCE, params)
    assert failure.error == error
    assert fragment in failure.cause


def test_exit_cause_is_json_with_the_stderr_tail():
    code = "import sys; sys.stderr.write('x' * 10000 + 'END'); sys.exit(2)"
    failure = fails(build_dispatch(), RESOURCE, {"Command": py(code)})
    cause = json.loads(failure.cause)
    assert cause["command"] == py(code)
    assert cause["exitCode"] == 2
    assert cause["stderr"].startswith("...") and cause["stderr"].endswith("END")
    assert len(cause["stderr"]) == 3 + 4096


@pytest.mark.parametrize(
    "target",
    [
        "program:" + shlex.join(py("import json,sys; print(json.dumps(json.load(sys.stdin)))")),
        "program:" + json.dumps(py("import json,sys; print(json.dumps(json.load(sys.stdin)))")),
    ],
)
def test_bind_target_sends_the_whole_input(target):
    dispatch = build_dispatch(bindings={"arn:aws:states:::batch:submitJob": target})
    assert run(dispatch, "arn:aws:states:::batch:submitJob", {"a": [1, "b"]}) == {"a": [1, "b"]}


@pytest.mark.parametrize("resource", ["program:python3", 'program:["true"]', "program:exec"])
def test_other_program_resources_are_refused(resource):
    failure = fails(build_dispatch(), resource, {"Command": ["true"]})
    assert failure.error == "States.Runtime"
    assert 'programs run as "Resource": "program:run"' in failure.cause
    with pytest.raises(ConfigurationError):
        build_dispatch().preflight([("Run", resource)])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see processes")
def test_timeout_kills_the_program_and_its_children(tmp_path: Path):
    pids = tmp_path / "pids"
    code = (
        "import os,subprocess,sys,time\n"
        "child = subprocess.Popen(['sleep', '30'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(30)\n"
    )

    async def timed():
        call = build_dispatch()(request(RESOURCE, {"Command": py(code)}))
        await asyncio.wait_for(call, 1.0)

    started = time.monotonic()
    with pytest.raises(TimeoutError):
        asyncio.run(timed())
    assert time.monotonic() - started < 5
    program_pid, child_pid = map(int, pids.read_text().split())
    deadline = time.monotonic() + 2
    while (_alive(program_pid) or _alive(child_pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(program_pid)
    assert not _alive(child_pid)


def test_programs_overlap():
    dispatch = build_dispatch()
    params = {"Command": py("import time; time.sleep(0.5); print(1)")}

    async def both():
        return await asyncio.gather(
            dispatch(request(RESOURCE, params)), dispatch(request(RESOURCE, params))
        )

    started = time.monotonic()
    assert asyncio.run(both()) == [1, 1]
    assert time.monotonic() - started < 0.95


def test_environment_is_inherited(monkeypatch):
    monkeypatch.setenv("ASL_INHERITED", "yes")
    code = "import os; print(os.environ['ASL_INHERITED'])"
    assert run(build_dispatch(), RESOURCE, {"Command": py(code)}) == "yes"
    assert os.environ["ASL_INHERITED"] == "yes"


def test_a_script_under_a_workflow(tmp_path: Path):
    """The docs' example: dynamic argv, stdin input, Cwd, Env, Retry on an exit code."""
    (tmp_path / "report.py").write_text(
        "import json, os, sys\n"
        "tries = os.path.exists('tried')\n"
        "open('tried', 'w').close()\n"
        "if not tries:\n"
        "    sys.stderr.write('database busy\\n'); sys.exit(75)\n"
        "options = json.load(sys.stdin)\n"
        "print(json.dumps({'day': sys.argv[2], 'mode': os.environ['REPORT_MODE'], **options}))\n"
    )
    definition = {
        "StartAt": "NightlyReport",
        "States": {
            "NightlyReport": {
                "Type": "Task",
                "Resource": RESOURCE,
                "Parameters": {
                    "Command.$": f"States.Array('{PY}', 'report.py', '--day', $.day)",
                    "Input.$": "$.options",
                    "Cwd": str(tmp_path),
                    "Env": {"REPORT_MODE": "nightly"},
                },
                "TimeoutSeconds": 60,
                "Retry": [{"ErrorEquals": ["Program.ExitCode.75"], "MaxAttempts": 2}],
                "ResultPath": "$.report",
                "End": True,
            }
        },
    }
    machine = asl.load(definition)
    result = asyncio.run(
        run_execution(
            machine,
            {"day": "mon", "options": {"rows": 3}},
            dispatch=build_dispatch(),
            clock=VirtualClock(),
        )
    )
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["report"] == {"day": "mon", "mode": "nightly", "rows": 3}
    failed = [e for e in result.events if e.type == "TaskFailed"]
    assert [e.details["error"] for e in failed] == ["Program.ExitCode.75"]
    assert json.loads(failed[0].details["cause"])["stderr"] == "database busy\n"
