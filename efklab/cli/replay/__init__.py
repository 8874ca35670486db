"""``efklab replay``: payload files -> the Lambda's transform -> OpenSearch, every item accounted for."""
