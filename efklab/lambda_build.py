"""``python -m efklab.lambda_build OUT.zip``: a deployable zip of the Python Lambda.

The zip holds the handler and exactly the efklab modules it imports (found by reading their
bytecode with ``modulefinder``, lazy imports included), nothing else: no pandas, no
opensearch-py, no CLI.  Anything else it imports must be the standard library or what the
Lambda Python runtime ships (boto3, botocore, urllib3 and their dependencies); the build
fails naming the module otherwise.  The zip is byte-for-byte reproducible.
"""
from __future__ import annotations

import argparse
import modulefinder
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from efklab.errors import EfklabError, UsageError

HANDLER_MODULE = "efklab.lambda_handler"
HANDLER = f"{HANDLER_MODULE}.handler"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# What the AWS Lambda Python runtime provides besides the standard library.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "urllib3", "s3transfer", "jmespath", "dateutil", "six"})
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def find_handler_modules(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Every efklab module the handler can import (module name -> source file), and check the rest."""
    finder = modulefinder.ModuleFinder(path=[str(root)])
    finder.run_script(str(root / "efklab" / "lambda_handler.py"))
    modules = {name: Path(m.__file__) for name, m in finder.modules.items() if name.startswith("efklab") and m.__file__}
    modules[HANDLER_MODULE] = root / "efklab" / "lambda_handler.py"  # run as the script, it is listed as __main__
    modules.setdefault("efklab", root / "efklab" / "__init__.py")
    foreign = sorted(
        {name.split(".")[0] for name in finder.badmodules}
        - set(sys.stdlib_module_names)
        - RUNTIME_PROVIDED
        - {"efklab", "__main__"}
    )
    if foreign:
        raise UsageError(
            "the handler imports " + ", ".join(foreign) + ", which the Lambda runtime does not ship; "
            "keep efklab.lambda_handler's imports to the standard library, urllib3 and boto3/botocore",
            source=HANDLER_MODULE,
        )
    return modules


def build_zip(out: Path, root: Path = PACKAGE_ROOT) -> list[str]:
    """Write the zip; return the archive names it holds, sorted."""
    modules = find_handler_modules(root)
    names: dict[str, Path] = {}
    for path in modules.values():
        names[path.relative_to(root).as_posix()] = path
    for name in list(names):  # every package on the way needs its __init__.py
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            init = "/".join(parts[:depth]) + "/__init__.py"
            names.setdefault(init, root / init)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(names):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, names[name].read_bytes())
    return sorted(names)


def main(argv: Sequence[str] | None = None) -> int:
    """Build the zip and print what it holds and its size."""
    parser = argparse.ArgumentParser(prog="python -m efklab.lambda_build", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", metavar="OUT.zip", help="zip file to write")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        names = build_zip(out)
    except EfklabError as exc:
        print(f"efklab lambda_build: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"efklab lambda_build: {out}: {exc.strerror}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    print(f"{out}: {len(names)} files, {size:,} bytes ({size / 1024:.1f} KiB); handler {HANDLER}; runtime python3.11 or later")
    return 0


if __name__ == "__main__":
    sys.exit(main())
