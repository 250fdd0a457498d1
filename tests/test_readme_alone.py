"""The README's examples that solve a week of their own and read nothing the other examples wrote
(``test_readme.stands_alone``: compare, sweep, ``plan --week 2025-W46 --hire auto``), run as test_readme runs
the rest, in a working directory of their own. About half of the README's solve time: as a module of its
own it is a unit the second xdist worker (``--dist loadfile``) takes beside test_readme, not after it."""

from __future__ import annotations

import pytest
from test_readme import ALONE, _param, make_workdir, run_example


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return make_workdir(tmp_path_factory)


@pytest.mark.parametrize("example", [_param(e) for e in ALONE])
def test_readme_example_runs_as_written(example, workdir, request):
    run_example(example, workdir, request)
