"""fluent-plugin-concat: the frozen filter rule, the engine's state machine, the records in and events out."""
