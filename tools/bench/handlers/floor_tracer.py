"""Dependency floor, rung 3: the X-Ray SDK, patching botocore only, as observability.py does."""

from aws_lambda_powertools import Tracer

tracer = Tracer(patch_modules=("botocore",))
