"""``efklab transform``: CloudWatch subscription payloads -> the ``_bulk`` body, on stdout."""
