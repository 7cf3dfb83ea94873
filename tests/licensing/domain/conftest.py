"""Make the test builders importable whatever pytest's import mode, and the repo root importable when pytest is
run without ``python -m`` (the test directories deliberately have no ``__init__.py``)."""

import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
for _path in (str(_HERE.parents[2]), str(_HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
