"""``efklab test CASES.yaml...``: declarative pipeline tests, every case run, every failure shown with a diff."""
