"""in_tail and <parse>: container log files (docker json-file, CRI, text) read as fluentd reads them."""
