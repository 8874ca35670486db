"""OpenSearch's own rules as pure functions.

Index names and patterns, bulk actions and batches, mappings, shards, Dashboards, node config.
"""
