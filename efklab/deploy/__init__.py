"""The deployable Python Lambda: handler, HTTP transport with SigV4, configuration, zip build."""
