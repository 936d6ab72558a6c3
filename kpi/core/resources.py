"""Where the library's own files live: the SQL (``sql/``), configuration (``config/``) and lookups (``reference/``).

In a checkout they are folders at the project's root; an installed wheel carries them inside the package, under
``kpi/_data/`` (``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml). :func:`data_dir` answers for
both, so every reader asks it rather than building a path from ``__file__``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The folders shipped with the library, by name.
DATA_DIRS = ("sql", "config", "reference")
#: The project's root in a checkout (the folder holding ``kpi/``).
CHECKOUT_ROOT = Path(__file__).resolve().parents[2]


def data_dir(name: str) -> Path:
    """The folder ``name`` (one of :data:`DATA_DIRS`): the installed package's copy, else the checkout's.

    Raises:
        ValueError: ``name`` is not a folder the library ships.

    Example:
        >>> (data_dir("sql") / "schema" / "001_core.sql").is_file()
        True
    """
    if name not in DATA_DIRS:
        raise ValueError(f"{name!r} is not one of the library's data folders: {', '.join(DATA_DIRS)}")
    packaged = Path(str(resources.files("kpi") / "_data" / name))
    return packaged if packaged.is_dir() else CHECKOUT_ROOT / name
