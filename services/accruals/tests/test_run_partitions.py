"""Partitions of the monthly run: every account in exactly one partition, for any N (properties)."""
from __future__ import annotations

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accruals.run import partition
from gorod_runtime.imports.apply import connection_url

accounts = st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=200, unique=True)
numbers = st.lists(st.integers(min_value=10**8, max_value=10**9 - 1).map(str), min_size=1, max_size=300, unique=True)


@given(accounts | numbers, st.integers(min_value=1, max_value=64))
def test_every_account_is_in_exactly_one_of_n_partitions(names, parts):
    placed = {part: {a for a in names if partition.partition_of(a, parts) == part} for part in range(1, parts + 1)}
    assert sum(len(p) for p in placed.values()) == len(names)          # nobody twice
    assert set().union(*placed.values()) == set(names)                 # nobody left out
    assert all(1 <= partition.partition_of(a, parts) <= parts for a in names)


@given(numbers, st.integers(min_value=1, max_value=16), st.integers(min_value=1, max_value=8), st.data())
def test_the_workers_of_a_partition_split_exactly_it(names, parts, workers, data):
    part = data.draw(st.integers(min_value=1, max_value=parts))
    slots = [partition.worker_slot(part, parts, w, workers) for w in range(workers)]
    mine = {a for a in names if partition.partition_of(a, parts) == part}
    by_worker = [{a for a in names if partition.partition_of(a, n) == s} for s, n in slots]
    assert sum(len(w) for w in by_worker) == len(mine) and set().union(*by_worker) == mine


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=1, max_value=4), st.data())
def test_contains_is_exactly_set_inclusion(parts, factor, data):
    outer = (data.draw(st.integers(1, parts)), parts)
    inner_parts = parts * factor if data.draw(st.booleans()) else data.draw(st.integers(1, 24))
    inner = (data.draw(st.integers(1, inner_parts)), inner_parts)
    names = [str(10**8 + i) for i in range(2000)]
    a = {n for n in names if partition.partition_of(n, outer[1]) == outer[0]}
    b = {n for n in names if partition.partition_of(n, inner[1]) == inner[0]}
    if partition.contains(outer, inner):
        assert b <= a
    else:
        assert not b <= a or not b


def test_parse():
    assert partition.parse("2/4") == (2, 4) and partition.parse(" 1 / 1 ") == (1, 1)
    for bad in ("0/3", "4/3", "1/0", "x", "", "1/2/3", "1/1001"):
        with pytest.raises(ValueError):
            partition.parse(bad)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                        max_size=30), min_size=1, max_size=50), st.integers(min_value=1, max_value=1000))
def test_sql_and_python_agree(database, names, parts):
    with psycopg.connect(database) as conn:
        rows = conn.execute("SELECT n, account_partition(n, %s) FROM unnest(%s::text[]) AS n", (parts, names)).fetchall()
    assert {n: p for n, p in rows} == {n: partition.partition_of(n, parts) for n in names}


@pytest.fixture(scope="module")
def database(make_database_module):
    return connection_url(make_database_module("accruals"))
