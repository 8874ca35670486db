"""efklab doctor: the check registry, the inputs it reads, its findings, and the checks themselves."""
