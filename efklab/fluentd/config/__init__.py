"""fluentd configuration files: found, loaded (plain, ConfigMap YAML, Helm), parsed as fluentd v1 parses them."""
