"""``asl serve`` in a subprocess, for the cases about the Step Functions API itself."""

from tests.serve.conftest import serve_process  # noqa: F401
