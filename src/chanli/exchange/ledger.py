"""The keys a file defines, kept compactly so validation can stream a million rows.

Why not a ``set`` of strings: a Python string in a set costs ~100 bytes, so a million
external ids would cost ~100 MB. The ledger keeps each key as a 64-bit hash plus its row
number in two ``array`` columns (16 bytes a row) and sorts them with numpy once the pass is
done; lookups are binary searches. A hash collision (odds ~10⁻⁸ for a million keys) can at
worst report a false duplicate, never let a bad row through silently: the apply pass
resolves every reference against the store again.

Self-references (a team's parent, a person's manager, an account's parent) are kept as
edges (child record, parent key hash), so a cycle inside the file is found with numpy pointer
doubling instead of a Python graph.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

__all__ = ["KeyLedger", "key_hash"]


def key_hash(kind: str, key: str) -> int:
    """A 64-bit hash of a key within its kind (``ext``, ``name``, ``natural``)."""
    return hash((kind, key))


@dataclass
class _Column:
    hashes: array = field(default_factory=lambda: array("q"))
    rows: array = field(default_factory=lambda: array("q"))  # record ordinals
    sorted_hashes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    sorted_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

    def freeze(self) -> None:
        h = np.frombuffer(self.hashes, dtype=np.int64) if len(self.hashes) else np.empty(0, np.int64)
        r = np.frombuffer(self.rows, dtype=np.int64) if len(self.rows) else np.empty(0, np.int64)
        order = np.argsort(h, kind="stable")
        self.sorted_hashes, self.sorted_rows = h[order], r[order]


class KeyLedger:
    """Keys of one entity's records in an import: ``record`` and ``add`` while streaming,
    ``freeze``, then query. Queries answer in spreadsheet rows."""

    def __init__(self) -> None:
        self._columns: dict[str, _Column] = {}
        self._row_of = array("q")  # record ordinal → spreadsheet row (a row may yield several records)
        self._edge_child = array("q")
        self._edge_parent_ext = array("q")
        self._edge_parent_name = array("q")
        self._frozen = False

    def record(self, row: int) -> int:
        """Register the next record (found on ``row``); returns its ordinal for ``add``."""
        self._row_of.append(row)
        return len(self._row_of) - 1

    def add(self, kind: str, key: str, seq: int) -> None:
        col = self._columns.setdefault(kind, _Column())
        col.hashes.append(key_hash(kind, key))
        col.rows.append(seq)

    def add_edge(self, child: int, parent_key: str) -> None:
        """Record ``child`` names ``parent_key`` (an external id or a name) as its parent."""
        self._edge_child.append(child)
        self._edge_parent_ext.append(key_hash("ext", parent_key))
        self._edge_parent_name.append(key_hash("name", parent_key))

    def freeze(self) -> None:
        for col in self._columns.values():
            col.freeze()
        self._frozen = True

    def _col(self, kind: str) -> _Column | None:
        assert self._frozen, "freeze() the ledger before querying it"
        return self._columns.get(kind)

    def rows_of(self, kind: str, key: str) -> list[int]:
        """The rows (in file order) whose ``kind`` key equals ``key``."""
        col = self._col(kind)
        if col is None:
            return []
        h = key_hash(kind, key)
        lo = int(np.searchsorted(col.sorted_hashes, h, side="left"))
        hi = int(np.searchsorted(col.sorted_hashes, h, side="right"))
        return sorted(self._row_of[int(r)] for r in col.sorted_rows[lo:hi])

    def duplicates(self, kind: str) -> list[tuple[int, int]]:
        """(first row, repeated row) for every key that appears more than once."""
        col = self._col(kind)
        if col is None or len(col.sorted_hashes) < 2:
            return []
        h, r = col.sorted_hashes, col.sorted_rows
        out: list[tuple[int, int]] = []
        for i in (np.flatnonzero(h[1:] == h[:-1]) + 1).tolist():
            first = int(np.searchsorted(h, h[i], side="left"))
            out.append((self._row_of[int(r[first])], self._row_of[int(r[i])]))
        return out

    def cycle_rows(self) -> list[int]:
        """Rows whose chain of in-file parents loops back (a row that is its own ancestor).

        Each edge's parent is looked up among the file's own keys (external id first, then
        name). Pointer doubling then follows every chain ``2^k`` steps at once; chains that
        leave the file (parent in the store or absent) end at -1, so whatever still points
        somewhere after ``log2(n)`` doublings has landed on a loop. The loops are walked once.
        """
        if not len(self._edge_child):
            return []
        children = np.frombuffer(self._edge_child, dtype=np.int64)
        parent_row = np.full(len(children), -1, dtype=np.int64)
        for kind, hashes in (("ext", self._edge_parent_ext), ("name", self._edge_parent_name)):
            col = self._col(kind)
            if col is None or not len(col.sorted_hashes):
                continue
            parents = np.frombuffer(hashes, dtype=np.int64)
            pos = np.clip(np.searchsorted(col.sorted_hashes, parents), 0, len(col.sorted_hashes) - 1)
            found = (col.sorted_hashes[pos] == parents) & (parent_row < 0)
            parent_row[found] = col.sorted_rows[pos[found]]
        order = np.argsort(children, kind="stable")
        sorted_children = children[order]
        pos = np.clip(np.searchsorted(sorted_children, parent_row), 0, len(children) - 1)
        has_edge = (parent_row >= 0) & (sorted_children[pos] == parent_row)
        nxt = np.where(has_edge, order[pos], -1)  # edge index → edge index of its parent's edge
        reach = nxt.copy()
        for _ in range(int(np.ceil(np.log2(len(nxt) + 1))) + 1):
            alive = reach >= 0
            reach = np.where(alive, reach[np.where(alive, reach, 0)], -1)
        on_loop: set[int] = set()
        for landing in set(reach[reach >= 0].tolist()):
            if landing in on_loop:
                continue
            node = landing
            while True:
                on_loop.add(node)
                node = int(nxt[node])
                if node == landing:
                    break
        return sorted({self._row_of[int(children[i])] for i in on_loop})
