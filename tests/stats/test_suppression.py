"""Small-cell suppression: no published count is below the threshold, and no withheld count
can be recovered by subtracting published ones along any line of the table."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from csoapi.stats.suppression import exposed, is_small, one_way, two_way, withhold

K = 11
counts = st.integers(min_value=0, max_value=40)
tables = st.dictionaries(
    st.tuples(st.sampled_from("ABCDE"), st.sampled_from("vwxyz")), counts, min_size=1
)


@settings(max_examples=400)
@given(tables)
def test_no_published_entry_is_small_and_none_withheld_is_recoverable(cells):
    values, lines = two_way(cells)
    hidden = withhold(values, lines, K)
    assert not [k for k, v in values.items() if k not in hidden and is_small(v, K)]
    assert exposed(values, lines, hidden) == []


@given(st.dictionaries(st.sampled_from("abcdefgh"), counts, min_size=1))
def test_a_breakdown_with_its_total(cells):
    values, lines = one_way(cells)
    hidden = withhold(values, lines, K)
    assert not [k for k, v in values.items() if k not in hidden and is_small(v, K)]
    assert exposed(values, lines, hidden) == []


def test_a_single_small_cell_takes_the_next_smallest_with_it():
    values, lines = one_way({"theft": 40, "vandalism": 3, "parking": 25, "noise": 0})
    hidden = withhold(values, lines, K)
    assert hidden == {("cell", "vandalism"), ("cell", "parking")}  # not the zero


def test_nothing_small_nothing_withheld():
    values, lines = two_way({("A", "x"): 20, ("A", "y"): 11, ("B", "x"): 0, ("B", "y"): 30})
    assert withhold(values, lines, K) == set()


def test_a_small_cell_alone_beside_zeros_withholds_the_total():
    values, lines = one_way({"a": 4, "b": 0})
    assert withhold(values, lines, K) == {("cell", "a"), ("all",)}
