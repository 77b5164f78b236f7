"""One Lambda execution environment: a function's code imported once, then invoked request after
request, in a process of its own.

Started by runtime.py as `python -I worker.py <handler> <code dir> [<layer dir>...]` with the
function's environment and nothing else. It imports only the standard library itself, so the
function sees its own code, its layer and the installed packages, as on Lambda.

Protocol: at the end of the init phase, one line on the original stdout: `ready`, or Lambda's
error shape when the code failed to load (the worker then exits: Lambda retries init in a fresh
environment on the next invocation, and so does runtime.py). Then one JSON line per invocation
on stdin (`event`, `request_id`, `deadline_ms`), one line back on the original stdout: the
handler's JSON result or Lambda's error shape. Whatever the function prints or logs goes to
stderr, as it goes to CloudWatch on Lambda.
"""

from __future__ import annotations

import decimal
import importlib
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The context object of the Python runtime. The tests' handlers get one too
    (tests/support/apigw.py); tools/bench/child.py keeps a copy, as it may import nothing."""

    def __init__(
        self,
        function_name: str,
        request_id: str,
        deadline_ms: int,
        *,
        memory_limit_in_mb: str | None = None,
        region: str | None = None,
        account_id: str | None = None,
        function_version: str = "$LATEST",
        log_group_name: str | None = None,
        log_stream_name: str | None = None,
    ) -> None:
        self.function_name = function_name
        self.function_version = function_version
        self.memory_limit_in_mb = memory_limit_in_mb
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.invoked_function_arn = f"arn:aws:lambda:{region}:{account_id}:function:{function_name}"
        self.aws_request_id = request_id
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    @classmethod
    def from_environment(cls, request_id: str, deadline_ms: int) -> LambdaContext:
        """As the runtime makes it, from the function's environment variables."""
        env = os.environ
        return cls(
            env["AWS_LAMBDA_FUNCTION_NAME"],
            request_id,
            deadline_ms,
            memory_limit_in_mb=env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            region=env.get("AWS_REGION"),
            account_id=env.get("AWS_ACCOUNT_ID"),
            function_version=env.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            log_group_name=env.get("AWS_LAMBDA_LOG_GROUP_NAME"),
            log_stream_name=env.get("AWS_LAMBDA_LOG_STREAM_NAME"),
        )

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def error_payload(exc: BaseException, error_type: str | None = None) -> str:
    """Lambda's shape for a failed invocation (sam's local API Gateway answers it with a 500,
    API Gateway with a 502)."""
    return json.dumps(
        {
            "errorMessage": str(exc),
            "errorType": error_type or type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
    )


def load_handler(handler: str) -> Handler | str:
    """The handler, or Lambda's error payload when the code fails to load."""
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
        return getattr(module, function_name)
    except ImportError as exc:
        traceback.print_exc()
        return error_payload(exc, "Runtime.ImportModuleError")
    except AttributeError as exc:
        return error_payload(exc, "Runtime.HandlerNotFound")
    except Exception as exc:
        traceback.print_exc()
        return error_payload(exc)


def _as_lambda_serialises(value: object) -> object:
    """What the Python runtime's marshaller adds to json: a Decimal becomes a float."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def invoke(handler: Handler, request: dict[str, Any]) -> str:
    context = LambdaContext.from_environment(request["request_id"], request["deadline_ms"])
    try:
        result = handler(json.loads(request["event"]), context)
    except Exception as exc:
        traceback.print_exc()
        return error_payload(exc)
    try:
        return json.dumps(result, ensure_ascii=False, default=_as_lambda_serialises)
    except (TypeError, ValueError) as exc:
        return error_payload(exc, "Runtime.MarshalError")


def _exit_with_the_server(server: int) -> None:
    """A server killed outright (kill -9) cannot stop its workers, and a busy one would not see
    stdin close until its handler returns: leave as soon as the server is gone."""
    while os.getppid() == server:
        time.sleep(1)
    os._exit(1)


def main() -> None:
    threading.Thread(target=_exit_with_the_server, args=(os.getppid(),), daemon=True).start()
    handler_name, *paths = sys.argv[1:]
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # print() and log lines go to stderr, never into the replies
    sys.stdout.reconfigure(line_buffering=True)
    sys.path[:0] = paths
    handler = load_handler(handler_name)
    if isinstance(handler, str):
        replies.write(handler.encode() + b"\n")
        return
    replies.write(b"ready\n")
    for line in sys.stdin.buffer:  # ends when the server goes away, however it went
        replies.write(invoke(handler, json.loads(line)).encode() + b"\n")


if __name__ == "__main__":
    main()
