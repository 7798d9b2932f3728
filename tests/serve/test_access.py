"""Who may call the API: the Host header check (DNS rebinding), SigV4 against the operator's
credentials, and the non-loopback rule of ``asl serve``; all over real HTTP."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from tests.serve.conftest import ROOT, client, free_port

LIST = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines"}


def raw(url: str, method: str, path: str, host: str | None, **headers: str):
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    if host is not None:
        conn.putheader("Host", host)
    body = b"{}" if method == "POST" else b""
    for name, value in {**headers, "Content-Length": str(len(body))}.items():
        conn.putheader(name, value)
    conn.endheaders(body)
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    return response.status, payload


REFUSED = ["evil.example", "evil.example:{port}", "localhost.evil.example", "127.0.0.1.nip.io", ""]
ANSWERED = ["localhost", "localhost:{port}", "127.0.0.1:{port}", "[::1]", "LOCALHOST."]


@pytest.mark.parametrize("host", REFUSED)
@pytest.mark.parametrize(("method", "path"), [("GET", "/health"), ("POST", "/")])
def test_rebinding_host_is_refused_loopback_names_answered(make_server, host, method, path):
    live = make_server()
    port = live.url.rsplit(":", 1)[1]
    status, payload = raw(live.url, method, path, host and host.format(port=port), **LIST)
    assert status == 403 and payload["__type"] == "AccessDeniedException"
    assert "--allowed-host" in payload["message"]
    for name in ANSWERED:
        assert raw(live.url, method, path, name.format(port=port), **LIST)[0] == 200


def test_allowed_host_flag(make_server):
    from runtime.serve import Server, Service
    from runtime.stores import MemoryStore

    server = Server(Service(MemoryStore(), log=lambda m: None), port=0, allowed_hosts=["sfn.test"])
    with_name = server.start()
    try:
        assert raw(with_name.url, "POST", "/", f"SFN.test:{server.port}", **LIST)[0] == 200
        assert raw(with_name.url, "POST", "/", "other.test", **LIST)[0] == 403
    finally:
        server.close()


# -- SigV4 ---------------------------------------------------------------------------------------

KEYS = {"AKIDOPERATOR": "operator-secret"}


@pytest.fixture
def signed():
    from runtime.serve import Server, Service
    from runtime.stores import MemoryStore

    server = Server(Service(MemoryStore(), log=lambda m: None), port=0, credentials=KEYS).start()
    yield server
    server.close()


def sfn_with(url: str, key: str, secret: str):
    import boto3
    from botocore.config import Config

    return boto3.client(
        "stepfunctions",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}, inject_host_prefix=False),
    )


def test_right_keys_are_answered(signed):
    sfn = sfn_with(signed.url, "AKIDOPERATOR", "operator-secret")
    assert sfn.list_state_machines()["stateMachines"] == []
    arn = sfn.create_state_machine(
        name="m",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::111111111111:role/test",
        type="EXPRESS",
    )["stateMachineArn"]
    done = sfn.start_sync_execution(stateMachineArn=arn, input='{"é": 1}')
    assert json.loads(done["output"]) == {"é": 1}


@pytest.mark.parametrize(
    ("key", "secret", "code", "status"),
    [
        ("AKIDOPERATOR", "wrong-secret", "InvalidSignatureException", 403),
        ("AKIDSTRANGER", "operator-secret", "UnrecognizedClientException", 400),
    ],
)
def test_wrong_keys_are_refused(signed, key, secret, code, status):
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as refused:
        sfn_with(signed.url, key, secret).list_state_machines()
    error = refused.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == status


def test_unsigned_request_is_refused(signed):
    status, payload = raw(signed.url, "POST", "/", "localhost", **LIST)
    assert (status, payload["__type"]) == (400, "MissingAuthenticationTokenException")


def test_tampered_body_is_refused(signed):
    """A signed request whose body changed on the way no longer matches its signature."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest("POST", signed.url + "/", data=b"{}", headers={**LIST})
    SigV4Auth(Credentials("AKIDOPERATOR", "operator-secret"), "states", "us-east-1").add_auth(
        request
    )
    headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
    ok = raw(signed.url, "POST", "/", f"127.0.0.1:{signed.port}", **headers)
    assert ok[0] == 200
    port = int(signed.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/", body=b'{"maxResults": 1}', headers=dict(request.headers))
    response = conn.getresponse()
    assert response.status == 403
    assert json.loads(response.read())["__type"] == "InvalidSignatureException"


@pytest.mark.parametrize(("minutes", "ok"), [(-4, True), (4, True), (-6, False), (6, False)])
def test_clock_skew_of_five_minutes(minutes, ok):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from runtime.serve.errors import ApiError
    from runtime.serve.sigv4 import Verifier

    request = AWSRequest("POST", "http://localhost:8083/", data=b"{}", headers={**LIST})
    SigV4Auth(Credentials("AKIDOPERATOR", "operator-secret"), "states", "us-east-1").add_auth(
        request
    )
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers["host"] = "localhost:8083"
    now = datetime.now(UTC) + timedelta(minutes=minutes)
    verifier = Verifier(KEYS)
    if ok:
        verifier.check("POST", "/", headers, b"{}", now=now)
    else:
        with pytest.raises(ApiError, match="Signature expired"):
            verifier.check("POST", "/", headers, b"{}", now=now)


def test_credentials_file_and_environment(tmp_path, monkeypatch):
    from runtime.serve.sigv4 import ENV_KEY, ENV_SECRET, load_credentials

    path = tmp_path / "credentials"
    path.write_text("[default]\naws_access_key_id = A1\naws_secret_access_key = s1\n[x]\n")
    assert load_credentials(path) == {"A1": "s1"}
    path.write_text("[x]\nregion = us-east-1\n")
    with pytest.raises(ValueError, match="no profile"):
        load_credentials(path)
    monkeypatch.setenv(ENV_KEY, "A2")
    monkeypatch.setenv(ENV_SECRET, "s2")
    assert load_credentials() == {"A2": "s2"}
    monkeypatch.delenv(ENV_SECRET)
    with pytest.raises(ValueError, match="both"):
        load_credentials()


# -- the command line ----------------------------------------------------------------------------


def _serve(*args: str, env: dict[str, str] | None = None, timeout: float = 20):
    return subprocess.run(
        [sys.executable, "-m", "runtime", "serve", "--port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_non_loopback_without_credentials_is_a_usage_error(tmp_path):
    out = _serve("--host", "0.0.0.0", "--store", str(tmp_path / "s.sqlite3"))
    assert out.returncode == 2 and "--insecure" in out.stderr and "--credentials" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--credentials", "{missing}"),
        ("--allow-program", "no-such-program-anywhere"),
        ("--allow-python", "not a module"),
    ],
)
def test_bad_access_flags_exit_2(tmp_path, args):
    args = tuple(a.format(missing=tmp_path / "missing") for a in args)
    out = _serve(*args, "--store", str(tmp_path / "s.sqlite3"))
    assert out.returncode == 2 and out.stderr.startswith("asl serve:")
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("extra", [("--insecure",), ("--credentials", "{file}")])
def test_non_loopback_with_credentials_or_insecure_starts(serve_process, tmp_path, extra):
    path = tmp_path / "credentials"
    path.write_text("[default]\naws_access_key_id = A1\naws_secret_access_key = s1\n")
    extra = tuple(a.format(file=path) for a in extra)
    server = serve_process("--host", "0.0.0.0", *extra, "--store", str(tmp_path / "s.sqlite3"))
    assert "listening on http://0.0.0.0" in server.text()
    if "--credentials" in extra:
        assert sfn_with(server.url, "A1", "s1").list_state_machines()["stateMachines"] == []
    else:
        assert client(server.url).list_state_machines()["stateMachines"] == []
