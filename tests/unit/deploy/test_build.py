"""The Lambda zip builder (efklab.deploy.build): what goes in, and what it refuses."""
from __future__ import annotations

from pathlib import Path

import pytest

from efklab.deploy.build import build_zip, find_handler_modules
from efklab.errors import UsageError


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_lazy_imports_inside_functions_are_found(tmp_path: Path) -> None:
    """A module imported only inside a function still goes into the zip, with its package __init__."""
    root = _tree(tmp_path, {
        "efklab/__init__.py": "",
        "efklab/deploy/__init__.py": "",
        "efklab/deploy/handler.py": "import json\ndef handler(e, c):\n    from efklab.sub import helper\n"
                                    "    return helper.x\n",
        "efklab/sub/__init__.py": "",
        "efklab/sub/helper.py": "x = 1\n",
        "efklab/unused.py": "import pandas\n",
    })
    names, optional = build_zip(tmp_path / "out.zip", root)
    assert optional == set()
    assert names == ["efklab/__init__.py", "efklab/deploy/__init__.py", "efklab/deploy/handler.py",
                     "efklab/sub/__init__.py", "efklab/sub/helper.py"]


def test_a_library_the_runtime_lacks_is_refused_by_name(tmp_path: Path) -> None:
    """Importing pandas (or anything beyond stdlib, urllib3 and boto3/botocore) fails the build naming it."""
    root = _tree(tmp_path, {
        "efklab/__init__.py": "",
        "efklab/deploy/__init__.py": "",
        "efklab/deploy/handler.py": "import boto3, urllib3\nimport pandas\n",
    })
    with pytest.raises(UsageError, match="imports pandas, which the Lambda runtime does not ship"):
        find_handler_modules(root)


def test_an_accelerator_imported_with_a_fallback_is_left_out_and_reported(tmp_path: Path) -> None:
    """`try: import orjson / except ImportError:` is optional: not refused, not bundled, reported."""
    root = _tree(tmp_path, {
        "efklab/__init__.py": "",
        "efklab/deploy/__init__.py": "",
        "efklab/deploy/handler.py": "try:\n    import orjson\nexcept ImportError:\n    orjson = None\nimport json\n",
    })
    names, optional = build_zip(tmp_path / "out.zip", root)
    assert optional == {"orjson"} and names == ["efklab/__init__.py", "efklab/deploy/__init__.py",
                                                "efklab/deploy/handler.py"]


def test_a_library_imported_outside_try_is_still_refused_even_if_optional_elsewhere(tmp_path: Path) -> None:
    """Only a guarded import is optional; the same library imported plainly in another module is refused."""
    root = _tree(tmp_path, {
        "efklab/__init__.py": "",
        "efklab/deploy/__init__.py": "",
        "efklab/deploy/handler.py": "try:\n    import orjson\nexcept ImportError:\n    pass\nimport efklab.fast\n",
        "efklab/fast.py": "import ujson\n",
    })
    with pytest.raises(UsageError, match="imports ujson"):
        find_handler_modules(root)


def test_the_real_handler_needs_only_the_runtime() -> None:
    """The project's own handler passes the check and pulls in no CLI module."""
    modules = find_handler_modules()
    assert {"efklab.deploy.handler", "efklab.deploy.config", "efklab.deploy.transport",
            "efklab.lambda_.transform"} <= set(modules)
    assert not any(name.startswith("efklab.cli") for name in modules)
