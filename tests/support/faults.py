"""Database faults injected below botocore's retry logic, as the network would deliver them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError
from moto.core.models import botocore_stubber as moto_stubber


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


@dataclass
class Fault:
    """Answer `operation` with an error (or raise a timeout) on its first `times` attempts."""

    operation: str
    code: str | None = None  # DynamoDB error code, or None for a read timeout
    status: int = 400
    times: int = 1_000
    extra: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0

    def __call__(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if not target.endswith("." + self.operation) or self.attempts >= self.times:
            return None
        self.attempts += 1
        if self.code is None:
            raise ReadTimeoutError(endpoint_url=request.url)
        # botocore runs every before-send handler: keep moto from also executing this attempt.
        moto_stubber.enabled = False
        body = json.dumps(
            {"__type": f"com.amazonaws.dynamodb.v20120810#{self.code}", "message": "injected"} | self.extra
        )
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "injected"}
        return AWSResponse(request.url, self.status, headers, _Raw(body.encode()))


def transaction_conflict() -> Fault:
    """Every TransactWriteItems cancelled because another transaction held one of its items."""
    reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}]
    return Fault("TransactWriteItems", "TransactionCanceledException", extra={"CancellationReasons": reasons})


def _moto_back_on(**_: Any) -> None:
    moto_stubber.enabled = True


@contextmanager
def injected(client: Any, *faults: Fault) -> Iterator[tuple[Fault, ...]]:
    """Install the faults on a boto3 client, ahead of moto, for the duration of the block."""
    for fault in faults:
        client.meta.events.register_first("before-send", fault)
    client.meta.events.register_last("before-send", _moto_back_on)
    try:
        yield faults
    finally:
        for fault in faults:
            client.meta.events.unregister("before-send", fault)
        client.meta.events.unregister("before-send", _moto_back_on)
        moto_stubber.enabled = True
