"""The metric names the alarms and the dashboard may show: the agreed paymux metrics (the issue-10
contract in the team notes; paymux.observability emits them) and the AWS metrics used."""

CONTRACT_METRICS = frozenset(
    {
        "PaymentCreated",
        "PaymentSucceeded",
        "PaymentFailed",
        "PaymentClosed",
        "CallbackAccepted",
        "CallbackRejected",
        "NotificationAttempts",
        "NotificationLatency",
        "RefundOutcome",
        "SweeperLagSeconds",
        "OutboxOldestAgeSeconds",
        "SweepChecked",
        "ReconciliationDiscrepancies",
        "ReconciliationUnitFailed",  # issue 13: a reconciliation unit (route, day) failed for good
        "StatsRecordsLost",  # issue 17: a failed stream batch's records were gone when repaired
    }
)

AWS_METRICS: dict[str, set[str]] = {
    "AWS/States": {"ExecutionsFailed"},
    "AWS/ApiGateway": {"Count", "4xx", "5xx", "Latency", "IntegrationLatency"},
    "AWS/Lambda": {"Errors", "Throttles", "Duration", "Invocations", "ConcurrentExecutions"},
    "AWS/SQS": {"ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesVisible"},
    "AWS/DynamoDB": {
        "ReadThrottleEvents",
        "WriteThrottleEvents",
        "ThrottledRequests",
        "ConsumedReadCapacityUnits",
        "ConsumedWriteCapacityUnits",
    },
}
