"""Unit tests call the domain directly, with no handler around it to set a correlation id or to
publish (and so empty) the metrics it counts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clients_api.observability import logger, metrics


@pytest.fixture(autouse=True)
def outside_a_handler() -> Iterator[None]:
    logger.set_correlation_id("unit-test")
    yield
    metrics.clear_metrics()
    logger.set_correlation_id(None)
