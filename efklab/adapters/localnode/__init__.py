"""The local OpenSearch node of this checkout: distribution, Java, process, lifecycle."""
