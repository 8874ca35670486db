"""The JavaScript semantics the seed Lambda relies on: numbers, dates and JSON text, exactly as node 20 has them."""
