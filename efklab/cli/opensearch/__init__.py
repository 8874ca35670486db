"""``efklab opensearch up|down|status``: the local OpenSearch node of this checkout."""
