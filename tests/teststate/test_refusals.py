"""TestState calls AWS refused, refused the same way: error code and message word for word.

The calls and AWS's answers are in ``refusals.json`` (recorded against AWS by LocalStack's
snapshot tests; its ``_source`` says where from). Each goes through boto3 to a real
``asl serve``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

CASES = json.loads((Path(__file__).parent / "refusals.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["source"].split("::")[-1] for c in CASES])
def test_refused_as_aws_refused_it(sfn: Any, case: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as refused:
        sfn.test_state(definition=json.dumps(case["definition"]), **case["call"])
    error = refused.value.response["Error"]
    assert (error["Code"], error["Message"]) == (case["error"], case["message"])
