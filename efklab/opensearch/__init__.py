"""OpenSearch's own rules as pure functions: index names and patterns, bulk actions and batches, mappings, shards, Dashboards, node config."""
