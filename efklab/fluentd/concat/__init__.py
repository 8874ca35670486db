"""fluent-plugin-concat: the frozen filter rule, the engine's state machine and its running state, records
and events."""
