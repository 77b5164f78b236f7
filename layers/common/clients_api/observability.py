"""Logger and metrics shared by the layer and the functions (the tracer is in tracing.py).

Service name from POWERTOOLS_SERVICE_NAME, metric namespace from POWERTOOLS_METRICS_NAMESPACE (both
set in template.yaml's Globals, where the alarms and the dashboard read the same namespace).
Nothing here may carry personal data: metrics are counts without per-client dimensions.
"""

from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

from clients_api.redaction import PersonalDataFilter

logger = Logger()
logger.addFilter(PersonalDataFilter())


class Metric(StrEnum):
    """Every metric the API emits (one namespace, dimension `service`), each a count of events.

    The template's alarms and dashboard name these; docs/operations.md says what each means.
    """

    REGISTRATIONS = "Registrations"
    # A registration retried with its Idempotency-Key and answered with the first answer: how
    # often callers lose answers (timeouts, dropped connections) and try again.
    REGISTRATIONS_REPLAYED = "RegistrationsReplayed"
    # 409s, from registration and from email/phone changes alike.
    EMAIL_CONFLICTS = "EmailConflicts"
    PHONE_CONFLICTS = "PhoneConflicts"
    # A PATCH that changed something (a same-value PATCH writes nothing and counts nothing).
    PROFILE_UPDATES = "ProfileUpdates"
    PASSWORD_CHANGES = "PasswordChanges"  # noqa: S105 (a metric name, not a password)
    # Clients erased on request (DELETE /api/v1/clients/{client_id}).
    CLIENTS_ERASED = "ClientsErased"
    # Password checks, by /password/verify and by a password change with current_password.
    VERIFICATION_MATCHES = "VerificationMatches"
    VERIFICATION_MISMATCHES = "VerificationMismatches"
    # A mismatch that used up the last allowed attempt and started a lock (brute-force signal).
    LOCKOUTS = "Lockouts"
    # Locks (and counted failures) cleared by a service through DELETE .../password/lock.
    LOCKS_CLEARED = "LocksCleared"
    # Attempts refused with a 429 while a lock holds.
    LOCKED_OUT_ATTEMPTS = "LockedOutAttempts"
    # Requests answered 503: DynamoDB throttled or unreachable after botocore's retries.
    DATABASE_UNAVAILABLE = "DatabaseUnavailable"
    # Requests answered 503 because the client kept changing under them (or transactions kept
    # conflicting) through all our re-read rounds: hot-spot contention, not an outage.
    UPDATE_CONTENTION = "UpdateContention"
    # Bearer tokens the authorizer refused (401): expired, forged, for another issuer or audience.
    TOKENS_REFUSED = "TokensRefused"
    # Requests answered 500: a bug or an unexpected dependency failure.
    INTERNAL_ERRORS = "InternalErrors"


class _QuietWhenEmptyProvider(AmazonCloudWatchEMFProvider):
    """Publishes nothing, and warns about nothing, for an invocation that counted no event.

    Most reads count none; powertools would warn "No application metrics to publish" on each.
    """

    def flush_metrics(self, raise_on_empty_metrics: bool = False) -> None:
        if self.metric_set:
            super().flush_metrics(raise_on_empty_metrics=raise_on_empty_metrics)


metrics = Metrics(provider=_QuietWhenEmptyProvider())


def count(metric: Metric) -> None:
    """Count one event; the handler's decorator publishes the counts when the invocation ends."""
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
