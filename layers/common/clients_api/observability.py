"""Logger shared by the layer and the functions (service name from POWERTOOLS_SERVICE_NAME)."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from clients_api.redaction import PersonalDataFilter

logger = Logger()
logger.addFilter(PersonalDataFilter())
