"""A project folder of your own: the bundled scenarios copied for editing (``schedule init DIR``).

Commands run from ``DIR`` then use ``DIR/scenarios/baseline.toml`` and ``DIR/scenarios/agents.csv`` by
default (:mod:`scenarios` says where defaults come from).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from core.atomic import atomic_file
from core.errors import InputError
from scenarios import LOCAL_DIR, bundled_files


def init_folder(dest: str | Path) -> list[Path]:
    """Copy :func:`bundled_files` into ``dest/scenarios/``; refuses (InputError, nothing written) when any
    of them exists there already. Returns the files written."""
    folder = Path(dest) / LOCAL_DIR
    if folder.exists() and not folder.is_dir():
        raise InputError("is a file, not a folder", file=folder, field="DIR")
    targets = [(src, folder / src.name) for src in bundled_files()]
    for _, target in targets:
        if target.exists() or target.is_symlink():
            raise InputError("exists already: schedule init never overwrites a file (move it away first)",
                             file=target, field="DIR")
    written: list[Path] = []
    try:
        for src, target in targets:
            written.append(atomic_file(target, lambda tmp, s=src: shutil.copyfile(s, tmp)))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written
