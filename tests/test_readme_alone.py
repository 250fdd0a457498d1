"""The README's examples that solve a week of their own and read nothing the other examples wrote
(``test_readme.stands_alone``: compare, sweep, ``plan --week 2025-W46 --hire auto``), run as test_readme runs
the rest, in working directories of their own. About half of the README's solve time: as a module of its
own it is a unit the second xdist worker (``--dist loadfile``) takes beside test_readme, not after it.

``plan --hire auto`` runs in a working directory like test_readme's (its check needs the hires to meet the
targets); compare and sweep, which never size the pool, in one whose scenario copies carry a tenth of
their budgets (``NO_SIZING_SHARE``): they check that the lines run as written and write their files (the
figures of a compare or a sweep are test_compare's and test_sweep's)."""

from __future__ import annotations

import pytest
from test_readme import ALONE, NO_SIZING_SHARE, _param, make_workdir, run_example


def sizes_the_pool(example) -> bool:
    return example.args[0] == "plan"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return make_workdir(tmp_path_factory)


@pytest.fixture(scope="module")
def quick_workdir(tmp_path_factory):
    return make_workdir(tmp_path_factory, NO_SIZING_SHARE, None)


@pytest.mark.parametrize("example", [_param(e) for e in ALONE])
def test_readme_example_runs_as_written(example, request):
    folder = request.getfixturevalue("workdir" if sizes_the_pool(example) else "quick_workdir")
    run_example(example, folder, request)


def test_only_plan_examples_stand_alone_with_the_full_budgets():
    assert {e.args[0] for e in ALONE if not sizes_the_pool(e)} == {"compare", "sweep"}
