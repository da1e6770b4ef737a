"""The compact key ledger: duplicates, lookups and loops among a file's own rows."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chanli.exchange.ledger import KeyLedger


def _ledger(rows: dict[int, tuple[str, str | None]]) -> KeyLedger:
    """row → (external id, parent key)."""
    ledger = KeyLedger()
    for row, (key, parent) in rows.items():
        seq = ledger.record(row)
        ledger.add("ext", key, seq)
        if parent is not None:
            ledger.add_edge(seq, parent)
    ledger.freeze()
    return ledger


def test_duplicates_name_the_first_row_and_the_repeat() -> None:
    ledger = _ledger({2: ("A", None), 3: ("B", None), 9: ("A", None), 11: ("A", None)})
    assert ledger.duplicates("ext") == [(2, 9), (2, 11)]
    assert ledger.rows_of("ext", "A") == [2, 9, 11]
    assert ledger.rows_of("ext", "Z") == []
    assert ledger.rows_of("name", "A") == []


def test_only_rows_on_a_loop_are_reported_not_those_hanging_below_it_or_pointing_outside() -> None:
    ledger = _ledger({
        2: ("A", "B"), 3: ("B", "C"), 4: ("C", "A"),  # a loop
        5: ("D", "A"),  # hangs below the loop
        6: ("E", "STORED"),  # parent is not in the file
        7: ("F", "F"),  # its own parent
        8: ("G", "E"),  # a fine chain
    })
    assert ledger.cycle_rows() == [2, 3, 4, 7]


def test_one_source_row_may_yield_several_records() -> None:
    ledger = KeyLedger()
    for key, parent in (("region", None), ("team", "region")):
        seq = ledger.record(2)
        ledger.add("ext", key, seq)
        if parent:
            ledger.add_edge(seq, parent)
    ledger.freeze()
    assert ledger.cycle_rows() == []
    assert ledger.rows_of("ext", "team") == [2]


def _naive_cycles(parents: list[int | None]) -> list[int]:
    on_loop = set()
    for start in range(len(parents)):
        node, seen = start, []
        while node is not None and node not in seen:
            seen.append(node)
            node = parents[node]
        if node is not None:
            on_loop.update(seen[seen.index(node):])
    return sorted(r + 2 for r in on_loop)


@given(st.lists(st.one_of(st.none(), st.integers(0, 40)), min_size=1, max_size=40))
def test_loops_match_a_plain_walk_of_every_chain(raw: list[int | None]) -> None:
    parents = [p if p is None or p < len(raw) else None for p in raw]
    ledger = _ledger({i + 2: (f"K{i}", None if p is None else f"K{p}") for i, p in enumerate(parents)})
    assert ledger.cycle_rows() == _naive_cycles(parents)
