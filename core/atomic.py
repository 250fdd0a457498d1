"""Writing a file or a folder all or nothing: into a temporary sibling, renamed into place at the end.

Every command that writes output goes through here (plan folders, forecasts, backtests, comparisons,
sweeps, reports, vendor exports). A write that fails part-way (an error, Ctrl-C) removes its temporary
and any folder it created, and leaves what was at the target before untouched; one that succeeds
replaces the target whole, in one rename.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _make_parent(final: Path) -> Path | None:
    """Create ``final``'s parent folder; return the top-most folder this created (None: it existed)."""
    created = final.parent
    while not created.parent.exists():
        created = created.parent
    created = None if created.exists() else created
    final.parent.mkdir(parents=True, exist_ok=True)
    return created


@contextmanager
def atomic_folder(final: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``final``; on success it replaces ``final`` in one rename."""
    final = Path(final).absolute()
    created = _make_parent(final)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the folder is for the team
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.parent / f".{final.name}.old.{os.getpid()}"
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def atomic_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` with a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    created = _make_parent(path.absolute())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; the file is for the team, as open() would
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise
    return path
