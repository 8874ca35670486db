"""``python -m efklab`` is the same as the ``efklab`` console script."""
from efklab.cli import run

run()
