"""``efklab capture``: pull a log group's events with boto3 and write them as subscription payloads."""
