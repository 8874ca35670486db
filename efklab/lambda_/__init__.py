"""The seed Lambda's behaviour: payload -> _bulk transform, the index layout it creates, replays of it."""
