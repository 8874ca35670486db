"""efklab's benchmarks: every ``bench_<topic>.py`` exposes ``run(quick: bool) -> list[dict]``.

Each row compares efklab with a baseline measured in the same run (``ratio``), never with a
wall-clock constant.  ``python -m benchmarks`` (``make bench``) runs them all.
"""
