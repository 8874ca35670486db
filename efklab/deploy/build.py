"""``python -m efklab.deploy.build OUT.zip``: a deployable zip of the Python Lambda.

The zip holds the handler and exactly the efklab modules it imports (found by reading their
bytecode with ``modulefinder``, lazy imports included), nothing else: no pandas, no
opensearch-py, no CLI.  Anything else it imports must be the standard library or what the
Lambda Python runtime ships (boto3, botocore, urllib3 and their dependencies); the build
fails naming the module otherwise.  The zip is byte-for-byte reproducible.
"""
from __future__ import annotations

import argparse
import ast
import modulefinder
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

from efklab.errors import EfklabError, UsageError

HANDLER_MODULE = "efklab.deploy.handler"
HANDLER = f"{HANDLER_MODULE}.handler"
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
# What the AWS Lambda Python runtime provides besides the standard library.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "urllib3", "s3transfer", "jmespath", "dateutil", "six"})
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def optional_imports(path: Path) -> set[str]:
    """Top-level modules a source file imports only inside ``try: ... except ImportError``.

    Those are accelerators with a fallback, which the zip may leave out.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try) or not any(_catches_import_error(h) for h in node.handlers):
            continue
        for statement in node.body:
            for inner in ast.walk(statement):
                if isinstance(inner, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in inner.names)
                elif isinstance(inner, ast.ImportFrom) and inner.module and not inner.level:
                    names.add(inner.module.split(".")[0])
    return names


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    kinds = caught.elts if isinstance(caught, ast.Tuple) else [caught]
    return caught is None or any(isinstance(k, ast.Name) and k.id in ("ImportError", "ModuleNotFoundError")
                                 for k in kinds)


def inspect_handler(root: Path = PACKAGE_ROOT) -> tuple[dict[str, Path], set[str]]:
    """The efklab modules the handler can import (name -> source file) and the optional imports left out.

    Any other import must be the standard library or shipped by the Lambda runtime, else UsageError.
    """
    finder = modulefinder.ModuleFinder(path=[str(root)])
    handler_path = root.joinpath(*HANDLER_MODULE.split(".")).with_suffix(".py")
    finder.run_script(str(handler_path))
    files = {name: getattr(m, "__file__", None) for name, m in finder.modules.items()}  # Module's __file__ is untyped
    modules = {name: Path(file) for name, file in files.items() if name.startswith("efklab") and file}
    modules[HANDLER_MODULE] = handler_path  # run as the script, it is listed as __main__
    packages = HANDLER_MODULE.split(".")[:-1]
    for depth in range(1, len(packages) + 1):  # the handler's own packages, which a script run does not import
        modules.setdefault(".".join(packages[:depth]), root.joinpath(*packages[:depth], "__init__.py"))
    outside = ({name.split(".")[0] for name in finder.badmodules} - set(sys.stdlib_module_names) - RUNTIME_PROVIDED
               - {"efklab", "__main__"})
    optional = outside & set().union(*(optional_imports(path) for path in modules.values()))
    foreign = sorted(outside - optional)
    if foreign:
        raise UsageError(
            "the handler imports " + ", ".join(foreign) + ", which the Lambda runtime does not ship; "
            "keep efklab.deploy.handler's imports to the standard library, urllib3 and boto3/botocore "
            "(or import it in try/except ImportError with a fallback)",
            source=HANDLER_MODULE,
        )
    return modules, optional


def find_handler_modules(root: Path = PACKAGE_ROOT) -> dict[str, Path]:
    """Every efklab module the handler can import (module name -> source file), after the import check."""
    return inspect_handler(root)[0]


def build_zip(out: Path, root: Path = PACKAGE_ROOT) -> tuple[list[str], set[str]]:
    """Write the zip; return the archive names it holds (sorted) and the optional imports left out."""
    modules, optional = inspect_handler(root)
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
    return sorted(names), optional


def main(argv: Sequence[str] | None = None) -> int:
    """Build the zip and print what it holds and its size."""
    parser = argparse.ArgumentParser(prog="python -m efklab.deploy.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", metavar="OUT.zip", help="zip file to write")
    args = parser.parse_args(argv)
    out = Path(args.out)
    try:
        names, optional = build_zip(out)
    except EfklabError as exc:
        print(f"efklab lambda_build: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"efklab lambda_build: {out}: {exc.strerror}", file=sys.stderr)
        return 2
    size = out.stat().st_size
    print(f"{out}: {len(names)} files, {size:,} bytes ({size / 1024:.1f} KiB); handler {HANDLER}; "
          "runtime python3.11 or later"
          + (f"; optional, not bundled: {', '.join(sorted(optional))} (standard-library fallback)" if optional else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
