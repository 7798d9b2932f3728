"""The web console's server side, over real HTTP: its static files, the ``AslConsole.*`` actions
against real executions, the read-only rule (``--console-actions``), SigV4, and the fleet list
from a real worker."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.serve.conftest import HANDLERS, ROLE, client, definition, wait_done

CONSOLE = {"X-Asl-Console": "1"}
ACCOUNT_ARN = "arn:aws:states:us-east-1:111111111111"


# -- a small client: boto3 cannot call our own actions -------------------------------------------


def request(
    url: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def call(
    url: str,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    prefix: str = "AslConsole",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """POST a JSON 1.0 request as the console sends it (``X-Asl-Console: 1`` unless
    ``headers`` says otherwise)."""
    sent = {
        "X-Amz-Target": f"{prefix}.{action}",
        "Content-Type": "application/x-amz-json-1.0",
        **(CONSOLE if headers is None else headers),
    }
    status, _, body = request(url, "POST", "/", json.dumps(params or {}).encode(), sent)
    return status, json.loads(body)


def ok(url: str, action: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    status, body = call(url, action, params, **kw)
    assert status == 200, body
    return body


def until(check: Any, timeout: float = 20.0) -> Any:
    """``check()`` once it is truthy (polled); AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s")
        time.sleep(0.02)
    return found


# -- machines and the executions the actions are checked against ---------------------------------

CAUGHT = definition(
    {
        "Work": {
            "Type": "Task",
            "Resource": f"python:{HANDLERS}:flaky",
            "Parameters": {"flag": "/nonexistent/asl-console-flag"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Broke"}],
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
        "Broke": {"Type": "Fail", "Error": "Broken", "Cause": "it broke"},
    }
)
INLINE_MAP = definition(
    {
        "Items": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    }
)
DISTRIBUTED = definition(
    {
        "Fan": {
            "Type": "Map",
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Child",
                "States": {"Child": {"Type": "Pass", "End": True}},
            },
            "End": True,
        }
    }
)
PASS = definition({"P": {"Type": "Pass", "End": True}})


def waiting(activity_arn: str) -> str:
    return definition({"Approve": {"Type": "Task", "Resource": activity_arn, "End": True}})


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One server (virtual time, read-only console) with an execution of each kind."""
    from runtime.serve import Server, Service
    from runtime.serve.policy import CodePolicy
    from runtime.stores import SqliteStore

    store = SqliteStore(tmp_path_factory.mktemp("console") / "executions.sqlite3")
    service = Service(
        store, time_skip=True, policy=CodePolicy.build(python=[HANDLERS]), log=lambda m: None
    )
    server = Server(service, port=0).start()
    sfn = client(server.url)

    def machine(name: str, body: str, **kw: Any) -> str:
        return sfn.create_state_machine(name=name, definition=body, roleArn=ROLE, **kw)[
            "stateMachineArn"
        ]

    def run(name: str, body: str, value: Any = None) -> str:
        arn = sfn.start_execution(
            stateMachineArn=machine(name, body), name=f"{name}-1", input=json.dumps(value or {})
        )["executionArn"]
        return arn

    arns = {
        "ok": run("ok", PASS),
        "caught": run("caught", CAUGHT),
        "map": run("inline", INLINE_MAP, [1, 2, 3]),
        "distributed": run("fan", DISTRIBUTED, [1, 2, 3, 4]),
    }
    for arn in arns.values():
        wait_done(sfn, arn)
    activity = sfn.create_activity(name="approve")["activityArn"]
    arns["running"] = run("waiting", waiting(activity))
    express = machine("quick", PASS, type="EXPRESS")
    arns["express"] = sfn.start_execution(stateMachineArn=express, name="quick-1")[
        "executionArn"
    ]  # Express: kept in memory, without a history
    until(lambda: ok(server.url, "ListPendingTasks")["tasks"])  # the activity task is stored
    yield {"url": server.url, "sfn": sfn, "arns": arns, "activity": activity}
    server.close()


# -- static files --------------------------------------------------------------------------------

FILES = [
    ("/", "text/html; charset=utf-8"),
    ("/?from=bookmark", "text/html; charset=utf-8"),
    ("/console/graph.js", "text/javascript; charset=utf-8"),
    ("/console/graph.css", "text/css; charset=utf-8"),
    ("/console/vendor/aws4fetch.esm.mjs", "text/javascript; charset=utf-8"),
    ("/console/vendor/elk.bundled.js", "text/javascript; charset=utf-8"),
    ("/console/vendor/elkjs.LICENSE.md", "text/plain; charset=utf-8"),
]
NOT_FOUND = [
    "/console/missing.js",
    "/console/",
    "/console/vendor",
    "/console/vendor/",
    "/console/../assets.py",
    "/console/%2e%2e/assets.py",
    "/console/vendor/..%2f..%2fassets.py",
    "/console/..%5cassets.py",
    "/console//etc/passwd",
    "/console/%2fetc%2fpasswd",
    "/console/vendor/%00.js",
    "/console/%ff.js",
    "/console/.hidden",
    "/index.html",
]


@pytest.mark.parametrize(("path", "content_type"), FILES)
def test_static_files_have_their_types(world, path, content_type):
    from runtime.serve.console.assets import STATIC

    status, headers, body = request(world["url"], "GET", path)
    assert (status, headers["Content-Type"]) == (200, content_type)
    name = path.split("?")[0].removeprefix("/console/") if path != "/" else "index.html"
    assert body == (STATIC / (name if "?" not in path else "index.html")).read_bytes()
    assert headers["Cache-Control"] == "no-cache" and headers["ETag"].startswith('"')
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_missing_files_and_paths_out_of_static_are_not_found(world, path):
    status, _, body = request(world["url"], "GET", path)
    assert status == 404, body
    assert json.loads(body)["__type"] in ("NotFoundException", "UnknownOperationException")


def test_a_link_out_of_static_is_not_followed(tmp_path):
    from runtime.serve.console.assets import answer

    root = tmp_path / "static"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (root / "inside.txt").write_text("inside")
    (root / "out.txt").symlink_to(tmp_path / "secret.txt")
    assert answer("/console/inside.txt", root=root).body == b"inside"
    assert answer("/console/out.txt", root=root) is None


def test_etag_revalidation_and_head(world):
    url, path = world["url"], "/console/vendor/aws4fetch.esm.mjs"
    _, headers, body = request(url, "GET", path)
    etag = headers["ETag"]
    for given in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        status, again, rest = request(url, "GET", path, headers={"If-None-Match": given})
        assert (status, rest, again["ETag"]) == (304, b"", etag)
    assert request(url, "GET", path, headers={"If-None-Match": '"other"'})[0] == 200
    status, head, rest = request(url, "HEAD", path)
    assert (status, rest, int(head["Content-Length"])) == (200, b"", len(body))
    assert head["ETag"] == etag


def test_console_files_pass_the_host_check(world):
    status, _, body = request(world["url"], "GET", "/", headers={"Host": "evil.example"})
    assert (status, json.loads(body)["__type"]) == (403, "AccessDeniedException")


# -- the actions ---------------------------------------------------------------------------------


def test_get_console_settings(world):
    settings = ok(world["url"], "GetConsoleSettings")
    assert settings["actions"] is False and settings["fleet"] is False
    assert settings["schedules"] is True and settings["version"]


def test_list_recent_executions_lists_every_machine_newest_first(world):
    arns = world["arns"]
    listed = ok(world["url"], "ListRecentExecutions")["executions"]
    assert [e["executionArn"] for e in listed] == [
        arns[k] for k in ("express", "running", "distributed", "map", "caught", "ok")
    ]
    by_arn = {e["executionArn"]: e for e in listed}
    caught = by_arn[arns["caught"]]
    assert (caught["name"], caught["stateMachineName"], caught["status"]) == (
        "caught-1",
        "caught",
        "FAILED",
    )
    assert caught["stateMachineArn"] == f"{ACCOUNT_ARN}:stateMachine:caught"
    assert caught["stopDate"] >= caught["startDate"]
    assert "stopDate" not in by_arn[arns["running"]]
    assert by_arn[arns["express"]]["type"] == "EXPRESS"


@pytest.mark.parametrize(
    ("params", "keys"),
    [
        ({"statusFilter": "RUNNING"}, ["running"]),
        ({"statusFilter": "FAILED"}, ["caught"]),
        ({"stateMachineName": "inline"}, ["map"]),
        ({"stateMachineName": "fan", "statusFilter": "SUCCEEDED"}, ["distributed"]),
        ({"stateMachineName": "fan", "statusFilter": "FAILED"}, []),
        ({"since": 4102444800}, []),  # 2100
    ],
)
def test_list_recent_executions_filters(world, params, keys):
    listed = ok(world["url"], "ListRecentExecutions", params)["executions"]
    assert [e["executionArn"] for e in listed] == [world["arns"][k] for k in keys]


def overlay_of(world: dict[str, Any], key: str) -> dict[str, Any]:
    return ok(world["url"], "DescribeExecutionGraph", {"executionArn": world["arns"][key]})


def test_graph_of_a_failed_execution_with_retry_and_catch(world):
    out = overlay_of(world, "caught")
    nodes = {n["id"]: n for n in out["graph"]["nodes"]}
    assert nodes["Work"]["retry"][0]["maxAttempts"] == 2
    assert {"source": "Work", "target": "Broke", "kind": "catch"}.items() <= next(
        e for e in out["graph"]["edges"] if e["kind"] == "catch"
    ).items()
    overlay = out["overlay"]
    assert overlay["status"] == "FAILED"
    work, broke = overlay["states"]["Work"], overlay["states"]["Broke"]
    assert (work["status"], work["retries"]) == ("caught", 2)
    assert (broke["status"], broke["error"], broke["cause"]) == ("failed", "Broken", "it broke")
    assert overlay["states"].get("Done", {"status": "not_reached"})["status"] == "not_reached"
    assert ["Work", "Broke"] in overlay["edges"] and out["mapRuns"] == []


def test_graph_of_an_inline_map(world):
    out = overlay_of(world, "map")
    (node,) = [n for n in out["graph"]["nodes"] if n["id"] == "Items"]
    assert node["type"] == "Map" and not node["distributed"]
    assert [n["id"] for n in node["groups"][0]["nodes"] if n["type"] == "Pass"] == [
        "Items/items/Each"
    ]
    items = out["overlay"]["states"]["Items"]
    assert items["status"] == "succeeded"
    assert (items["items"]["total"], items["items"]["succeeded"]) == (3, 3)


def test_graph_of_a_distributed_map_counts_its_children(world):
    out = overlay_of(world, "distributed")
    assert out["overlay"]["status"] == "SUCCEEDED"
    fan = out["overlay"]["states"]["Fan"]
    assert (fan["items"]["total"], fan["items"]["succeeded"]) == (4, 4)
    (run,) = out["mapRuns"]
    assert run["mapRunArn"].startswith(f"{ACCOUNT_ARN}:mapRun:fan/Fan:")
    assert (run["stateId"], run["status"]) == ("Fan", "SUCCEEDED")
    assert (run["counts"]["total"], run["counts"]["succeeded"]) == (4, 4)
    children = world["sfn"].list_executions(mapRunArn=run["mapRunArn"])["executions"]
    assert len(children) == 4  # what the console follows into, through the existing API


def test_graph_of_a_distributed_map_child_is_its_item_processor(world):
    parent = overlay_of(world, "distributed")
    (run,) = parent["mapRuns"]
    child = world["sfn"].list_executions(mapRunArn=run["mapRunArn"])["executions"][0]
    out = ok(world["url"], "DescribeExecutionGraph", {"executionArn": child["executionArn"]})
    assert [n["id"] for n in out["graph"]["nodes"] if n["type"] == "Pass"] == ["Child"]
    assert out["overlay"]["status"] == "SUCCEEDED"
    assert out["overlay"]["states"]["Child"]["status"] == "succeeded"


def test_graph_of_a_running_execution(world):
    overlay = overlay_of(world, "running")["overlay"]
    assert overlay["status"] == "RUNNING"
    assert overlay["states"]["Approve"]["status"] == "running"


def test_graph_of_an_express_execution(world):
    out = overlay_of(world, "express")
    assert [n["id"] for n in out["graph"]["nodes"] if n["type"] == "Pass"] == ["P"]
    assert out["overlay"]["status"] == "SUCCEEDED"  # its record's: Express keeps no history


def test_state_machine_graph(world):
    arn = f"{ACCOUNT_ARN}:stateMachine:caught"
    graph = ok(world["url"], "DescribeStateMachineGraph", {"stateMachineArn": arn})["graph"]
    assert {n["id"] for n in graph["nodes"]} == {"#start", "Work", "Done", "Broke", "#end"}


@pytest.mark.parametrize(
    ("action", "params", "code"),
    [
        ("DescribeExecutionGraph", {}, "ValidationException"),
        (
            "DescribeExecutionGraph",
            {"executionArn": f"{ACCOUNT_ARN}:execution:ok:nope"},
            "ExecutionDoesNotExist",
        ),
        (
            "DescribeStateMachineGraph",
            {"stateMachineArn": f"{ACCOUNT_ARN}:stateMachine:nope"},
            "StateMachineDoesNotExist",
        ),
        ("ListRecentExecutions", {"maxResults": 1001}, "ValidationException"),
        ("ListRecentExecutions", {"statusFilter": "DONE"}, "ValidationException"),
        ("ListRecentExecutions", {"nextToken": "not a token"}, "InvalidToken"),
        ("ListRecentExecutions", {"since": "yesterday"}, "SerializationException"),
        ("ListRecentExecutions", {"since": 1e20}, "ValidationException"),
        ("ListRecentExecutions", {"since": True}, "ValidationException"),
        ("NoSuchThing", {}, "UnknownOperationException"),
    ],
)
def test_action_errors(world, action, params, code):
    status, body = call(world["url"], action, params)
    assert (status, body["__type"]) == (400, code), body


def test_console_actions_need_their_own_prefix(world):
    status, body = call(world["url"], "AslConsole.GetConsoleSettings", prefix="AWSStepFunctions")
    assert (status, body["__type"]) == (400, "UnknownOperationException")


def test_list_pending_tasks_without_tokens(world):
    (task,) = ok(world["url"], "ListPendingTasks")["tasks"]
    assert task["executionArn"] == world["arns"]["running"]
    assert (task["stateName"], task["activity"], task["status"]) == (
        "Approve",
        "approve",
        "SCHEDULED",
    )
    assert task["kind"] == "activity" and task["created"] > 0
    assert "taskToken" not in task  # a token is what answering the task needs


def test_fleet_is_false_without_one(world):
    assert ok(world["url"], "ListFleet") == {"fleet": False, "workers": [], "queues": []}


# -- paging over many executions -----------------------------------------------------------------

MACHINES = ("alpha", "beta", "gamma")
STATUSES = ("SUCCEEDED", "FAILED", "RUNNING", "ABORTED")
START = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture
def many(make_server) -> Any:
    """A server whose store holds 250 executions (one second apart) of three machines."""
    from runtime.core.events import Event
    from runtime.stores.base import ExecutionRecord, Outcome

    live = make_server()
    for i in range(250):
        machine, status = MACHINES[i % 3], STATUSES[i % 4]
        live.service.store.create(
            ExecutionRecord(
                execution_arn=f"{ACCOUNT_ARN}:execution:{machine}:e{i:03d}",
                name=f"e{i:03d}",
                machine_name=machine,
                type="STANDARD",
                definition=PASS,
                input="{}",
                seed=0,
                start_date=START + timedelta(seconds=i),
            )
        )
        if status != "RUNNING":  # ended as a run ends: its last event and outcome together
            end = START + timedelta(seconds=i + 1)
            ended = Event(1, 0, end, f"Execution{status.title()}", {})
            live.service.store.append(
                f"{ACCOUNT_ARN}:execution:{machine}:e{i:03d}",
                [ended],
                expected_last_id=0,
                outcome=Outcome(status, end),
            )
    return live


def pages(url: str, params: dict[str, Any]) -> tuple[list[str], int]:
    names, token, count = [], None, 0
    while True:
        out = ok(url, "ListRecentExecutions", {**params, **({"nextToken": token} if token else {})})
        names += [e["name"] for e in out["executions"]]
        count += 1
        token = out.get("nextToken")
        if token is None:
            return names, count


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({}, lambda i: True),
        ({"maxResults": 1000}, lambda i: True),
        ({"statusFilter": "FAILED"}, lambda i: STATUSES[i % 4] == "FAILED"),
        ({"stateMachineName": "beta"}, lambda i: MACHINES[i % 3] == "beta"),
        (
            {"stateMachineName": "gamma", "statusFilter": "RUNNING"},
            lambda i: MACHINES[i % 3] == "gamma" and STATUSES[i % 4] == "RUNNING",
        ),
        ({"since": (START + timedelta(seconds=200)).timestamp()}, lambda i: i >= 200),
        ({"maxResults": 7, "stateMachineName": "alpha"}, lambda i: MACHINES[i % 3] == "alpha"),
    ],
)
def test_paging_and_filters_over_many_executions(many, params, keep):
    names, count = pages(many.url, params)
    expected = [f"e{i:03d}" for i in reversed(range(250)) if keep(i)]
    assert names == expected
    size = params.get("maxResults", 100)
    assert count == max(1, -(-len(expected) // size))


# -- the read-only rule --------------------------------------------------------------------------

REFUSED = [
    "StartExecution",
    "StartSyncExecution",
    "StopExecution",
    "RedriveExecution",
    "SendTaskSuccess",
    "SendTaskFailure",
    "SendTaskHeartbeat",
    "CreateStateMachine",
    "UpdateStateMachine",
    "DeleteStateMachine",
    "CreateActivity",
    "DeleteActivity",
    "TagResource",
    "PublishStateMachineVersion",
    "GetActivityTask",  # it takes a task
    "TestState",  # it may run a task
]
READS = ["ListStateMachines", "ListActivities", "DescribeExecution", "GetExecutionHistory"]


@pytest.mark.parametrize("action", REFUSED)
def test_console_writes_are_refused_without_the_flag(world, action):
    status, body = call(world["url"], action, {}, prefix="AWSStepFunctions")
    assert (status, body["__type"]) == (403, "AccessDeniedException")
    assert "start asl serve with --console-actions" in body["message"]


@pytest.mark.parametrize("action", READS)
def test_console_reads_are_answered_without_the_flag(world, action):
    params = {} if action.startswith("List") else {"executionArn": world["arns"]["ok"]}
    assert call(world["url"], action, params, prefix="AWSStepFunctions")[0] == 200


def test_other_clients_are_not_refused(world):
    sfn, arn = world["sfn"], f"{ACCOUNT_ARN}:stateMachine:ok"
    done = wait_done(sfn, sfn.start_execution(stateMachineArn=arn)["executionArn"])
    assert done["status"] == "SUCCEEDED"  # boto3 (no X-Asl-Console)
    status, _ = call(
        world["url"],
        "StartExecution",
        {"stateMachineArn": arn},
        prefix="AWSStepFunctions",
        headers={"X-Asl-Console": "0"},
    )
    assert status == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/schedules/nightly", 403),
        ("DELETE", "/schedules/nightly", 403),
        ("GET", "/schedules", 200),
    ],
)
def test_console_scheduler_writes_are_refused(world, method, path, status):
    body = json.dumps({}).encode() if method == "POST" else b""
    got, headers, answer = request(
        world["url"], method, path, body, {**CONSOLE, "Content-Type": "application/json"}
    )
    assert got == status
    if status == 403:
        assert headers["x-amzn-ErrorType"] == "AccessDeniedException"
        assert f"{method} {path} is refused" in json.loads(answer)["Message"]


def test_with_the_flag_the_console_stops_and_answers_tasks(make_server):
    from runtime.serve.policy import CodePolicy

    live = make_server(console_actions=True, policy=CodePolicy.build(python=[HANDLERS]))
    assert ok(live.url, "GetConsoleSettings")["actions"] is True
    activity = live.sfn.create_activity(name="approve")["activityArn"]
    machine = live.machine(waiting(activity), name="waiting")
    start = {"stateMachineArn": machine, "name": "first", "input": '{"n": 1}'}
    first = ok(live.url, "StartExecution", start, prefix="AWSStepFunctions")["executionArn"]
    until(lambda: ok(live.url, "ListPendingTasks")["tasks"])
    (task,) = ok(live.url, "ListPendingTasks")["tasks"]
    answer = {"taskToken": task["taskToken"], "output": '{"approved": true}'}
    ok(live.url, "SendTaskSuccess", answer, prefix="AWSStepFunctions")
    assert json.loads(wait_done(live.sfn, first)["output"]) == {"approved": True}
    second = ok(live.url, "StartExecution", {**start, "name": "second"}, prefix="AWSStepFunctions")
    ok(
        live.url,
        "StopExecution",
        {"executionArn": second["executionArn"]},
        prefix="AWSStepFunctions",
    )
    assert wait_done(live.sfn, second["executionArn"])["status"] == "ABORTED"


# -- SigV4 ---------------------------------------------------------------------------------------

KEYS = {"AKIDCONSOLE": "console-secret"}


@pytest.fixture
def signed_server() -> Iterator[Any]:
    from runtime.serve import Server, Service
    from runtime.stores import MemoryStore

    server = Server(Service(MemoryStore(), log=lambda m: None), port=0, credentials=KEYS).start()
    yield server
    server.close()


def signed_call(url: str, action: str, secret: str) -> tuple[int, dict[str, Any]]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    headers = {"X-Amz-Target": f"AslConsole.{action}", **CONSOLE}
    signing = AWSRequest("POST", url + "/", data=b"{}", headers=headers)
    SigV4Auth(Credentials("AKIDCONSOLE", secret), "states", "us-east-1").add_auth(signing)
    status, _, body = request(url, "POST", "/", b"{}", dict(signing.headers))
    return status, json.loads(body)


def test_console_calls_are_signed_when_the_server_has_credentials(signed_server):
    url = signed_server.url
    assert signed_call(url, "GetConsoleSettings", "console-secret")[0] == 200
    status, body = signed_call(url, "GetConsoleSettings", "wrong")
    assert (status, body["__type"]) == (403, "InvalidSignatureException")
    status, body = call(url, "ListRecentExecutions")
    assert (status, body["__type"]) == (400, "MissingAuthenticationTokenException")
    assert request(url, "GET", "/")[0] == 200  # the page itself holds no data


# -- the fleet -----------------------------------------------------------------------------------


@pytest.fixture
def fleet(decider_fleet: Any) -> Any:
    return decider_fleet


def test_fleet_workers_and_queues_from_a_real_worker(fleet):
    fleet.start_worker_plain("console")
    serve = fleet.start_serve()
    assert ok(serve.url, "GetConsoleSettings")["fleet"] is True
    out = ok(serve.url, "ListFleet")
    assert out["fleet"] is True
    (worker,) = out["workers"]
    assert worker["name"].startswith("console@") and worker["active"] == 0
    assert worker["queues"] and worker["concurrency"] == 2
    assert {q["name"] for q in out["queues"]} == set(worker["queues"])


@pytest.mark.parametrize("flag", [False, True])
def test_asl_serve_console_actions_flag(serve_process, tmp_path, flag):
    store = str(tmp_path / "s.sqlite3")
    server = serve_process("--store", store, *(["--console-actions"] if flag else []))
    assert ok(server.url, "GetConsoleSettings")["actions"] is flag
    status, body = call(server.url, "CreateActivity", {"name": "a"}, prefix="AWSStepFunctions")
    assert status == (200 if flag else 403), body
    assert f"console: {server.url}/{'' if flag else ', read-only'}" in server.text()
