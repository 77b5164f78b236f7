"""The X-Ray tracer of the functions that serve the API (not the authorizer's: it makes no calls).

Only botocore is patched: DynamoDB calls are what we want to see in a trace, and patching
everything costs cold-start time (measured here: +57-64 ms for patch_all, +38 ms for botocore).
X-Ray's botocore patch records DynamoDB table names and operations, never keys or items; the
tracer records neither responses nor exception texts. Off outside Lambda and when
POWERTOOLS_TRACE_DISABLED is true (tests, local runs).
"""

from __future__ import annotations

from aws_lambda_powertools import Tracer

tracer = Tracer(patch_modules=("botocore",))
