"""efklab: prove what an EFK log pipeline (fluentd concat -> CloudWatch Logs -> Lambda -> OpenSearch/ISM) does."""
from __future__ import annotations

from efklab.errors import EfklabError
from efklab.model import ItemResult, Reject

__version__ = "0.1.0"
__all__ = ["EfklabError", "ItemResult", "Reject", "__version__"]
