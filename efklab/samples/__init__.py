"""Deterministic, realistic sample container logs of the seed's applications."""
