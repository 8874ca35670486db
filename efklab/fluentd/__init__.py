"""fluentd as the seed's DaemonSet runs it: config, in_tail, the concat filter, the filter chain, routing,
the emulated pipeline."""
