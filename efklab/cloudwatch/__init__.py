"""CloudWatch Logs: subscription payloads decoded and encoded, their schema, delivery emulation, capture pages."""
