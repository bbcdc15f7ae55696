"""paymux: the aggregation payment gateway's shared code (the Lambda layer)."""
