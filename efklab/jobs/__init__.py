"""One recipe per job, combining the domain packages with the adapters; the CLI, notebooks and doctor call these."""
