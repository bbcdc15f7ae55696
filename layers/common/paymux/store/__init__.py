"""DynamoDB/SQS/S3/Secrets Manager adapters."""
