"""``efklab doctor``: run every known-trap check on a pipeline's config, policy, logs and payloads."""
