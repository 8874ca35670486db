"""Ruby (Onigmo) regexps as fluent-plugin-concat compiles them, translated to Python patterns with the same matches."""
