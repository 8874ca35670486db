"""Adapters: the only code that touches the outside world (files, OpenSearch, AWS, processes)."""
