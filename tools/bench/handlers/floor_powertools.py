"""Dependency floor, rung 1: powertools' Logger and Metrics, made as observability.py makes them.

Preloaded before baseline.get_client: rung by rung, what our dependencies cost before any of our
own code runs (report section "Where the cold start goes").
"""

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()
