"""``efklab samples``: generate a deterministic sample set, or turn your own container logs into payloads."""
