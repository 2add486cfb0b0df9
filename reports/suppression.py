"""Small-cell suppression: figures that leave the hotline never single out a young person.

A count from 1 to 4 can point at one child ("the only 13-year-old girl in Hue who wrote about
sextortion this month"), so every export hides it. Hiding it alone is not enough: a reader who
knows the row's or the column's total subtracts the other cells and finds it again. The rule,
applied to each table that counts people (`Table.counts_people`; rates and durations are not
suppressed):

1. **Primary:** a count from 1 to 4 is shown as "<5", totals included. A zero stays 0: it says
   that nobody is there, which points at no one, and hiding zeros would hide most of a small
   hotline's report.
2. **Complementary:** while a hidden count's exact value still follows from what the reader knows
   (below), more counts of 5 or more are hidden, shown as "×": the fewest, then the smallest, that
   put it on a cycle of hidden cells that can move. Zeros and totals are never chosen. In
   particular no row or column is left with exactly one hidden cell.
3. **Derived values** in a row with a hidden count are shown as "×", since they are computed from
   that row's counts: the table's last `Table.derived_columns` columns (a change against the
   previous period, a share), and any float or negative number elsewhere.

What the reader is assumed to know: every visible cell; every row's and every column's total,
whether the table shows it (a total row, `Table.total_row`, or a last column that holds the sum of
the others in every row) or not, since another table of the same report usually does (contacts
by channel add up to the contacts by month), so a total is never hidden to protect a cell; and
this rule, so "<5" means 1 to 4 and "×" means 5 or more. The two markers differ because "×" on a
large number must not read as "under 5"; the solver below takes what they tell into account.

How: the counts are flows from row nodes to column nodes, each node's total known (a line of a
single cell knows nothing beyond the cell). Two tables that agree with everything the reader knows
differ by a circulation of hidden cells, which splits into cycles that each move one unit within
the markers' bounds. So a hidden cell's value is fixed exactly when no such cycle passes through
it, and step 2 adds the cheapest cycle (Dijkstra over the visible counts) until none is fixed.
Picking "the next smallest cell in the row" instead fails: a 5 beside a 1 can only grow, so the 1
could only shrink to 0, and the reader knows it is 1.

Limits: each table is protected on its own; a count shown in one table and hidden in another is
the builder's to avoid, and so is a rate in a table that counts no one whose numerator is a small
count of another table. Every int of 0 or more outside the derived columns is read as a count that
adds up along its row and its column. A count that no cycle can free (a 3 among zeros in a column
whose total is known) stays "<5" and is as safe as that total. Report notes are text and are not
searched for figures; charts are pictures of the same figures, so the copy carries none.
tests/reports/test_suppression.py attacks crafted tables with a solver that tries every value the
markers allow.
"""

import dataclasses
import heapq
from collections import deque

from reports.report import Report, Table

THRESHOLD = 5
SMALL = "<5"
HIDDEN = "×"
MARKERS = (SMALL, HIDDEN)

# The node of every row or column whose total the reader cannot know.
GROUND = ("ground",)


def report_suppressed(report: Report) -> Report:
    """Return a copy of the report fit to leave the hotline: small counts hidden, no charts."""
    tables = [table_suppressed(table) for table in report.tables]
    by_key = {table.key: table for table in tables}
    for table in tables:
        _hide_dependent_cells(table, by_key)
    return dataclasses.replace(report, tables=tables, charts=[], notes=list(report.notes))


def _hide_dependent_cells(table: Table, by_key: dict[str, Table]) -> None:
    """Hide a rate or a median wherever a count it is worked out from is small or hidden.

    A rate beside its counts gives a small count back (13 contacts at 7.7 % abandoned is 1),
    and a median of one wait is that wait: table by table, suppression cannot see that.
    """
    counted = len(table.columns) - 1 - table.derived_columns
    for row_index, sources in table.depends_on.items():
        row = table.rows[row_index]
        hide_row = False
        for column in range(1, counted + 1):
            if any(_sensitive(by_key[key].rows[source][column]) for key, source in sources):
                row[column] = HIDDEN
                hide_row = True
        if hide_row:
            for column in range(counted + 1, len(row)):
                row[column] = HIDDEN


def _sensitive(cell) -> bool:
    return cell in MARKERS or (_is_count(cell) and 0 < cell < THRESHOLD)


def table_suppressed(table: Table) -> Table:
    """Return a copy of the table with the rule above applied (unchanged if it counts no one).

    A table that already holds a marker has been through the rule and is copied as it is, so
    applying it twice changes nothing.
    """
    rows = [list(row) for row in table.rows]
    copy = dataclasses.replace(table, columns=list(table.columns), rows=rows)
    if not table.counts_people or any(cell in MARKERS for row in rows for cell in row[1:]):
        return copy
    network = _Network(
        rows, total_row=table.total_row and bool(rows), derived_columns=table.derived_columns
    )
    network.protect()
    for (row, column), marker in network.markers().items():
        rows[row][column] = marker
    return copy


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_derived(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not _is_count(value)


class _Network:
    """A table's counts as a network: each count cell is an edge from its row to its column.

    The hidden cells are the unknowns; a row or column whose total the reader cannot know (the
    line has a single cell) is the GROUND node, bound by nothing.
    """

    def __init__(self, rows: list[list], *, total_row: bool, derived_columns: int = 0):
        self.rows = rows
        body = range(len(rows) - 1) if total_row else range(len(rows))
        width = max((len(row) for row in rows), default=1)
        self.derived = range(max(width - derived_columns, 1), width)
        count_columns = [
            column
            for column in range(1, width)
            if column not in self.derived and any(_is_count(_cell(row, column)) for row in rows)
        ]
        total_column = _total_column(rows, count_columns)
        parts = [column for column in count_columns if column != total_column]
        self.edges = {
            (row, column): (
                ("row", row) if len(parts) >= 2 else GROUND,
                ("column", column) if len(body) >= 2 else GROUND,
            )
            for row in body
            for column in parts
            if _is_count(_cell(rows[row], column))
        }
        self.primary = {cell for cell in self.edges if 1 <= self.value(cell) < THRESHOLD}
        self.complementary: set[tuple[int, int]] = set()
        totals = [(len(rows) - 1, column) for column in count_columns] if total_row else []
        totals += [(row, total_column) for row in body] if total_column is not None else []
        self.small_totals = {
            cell
            for cell in totals
            if _is_count(_cell(rows[cell[0]], cell[1])) and 1 <= self.value(cell) < THRESHOLD
        }

    def value(self, cell: tuple[int, int]) -> int:
        row, column = cell
        return self.rows[row][column]

    def hidden(self) -> set[tuple[int, int]]:
        return self.primary | self.complementary

    def bounds(self, cell: tuple[int, int]) -> tuple[int, float]:
        return (1, THRESHOLD - 1) if cell in self.primary else (THRESHOLD, float("inf"))

    def protect(self) -> None:
        """Hide complementary cells until no hidden cell's value is fixed, as far as any can be,
        and no row or column holds a single hidden cell."""
        unsettled = sorted(self.hidden())
        while unsettled:
            self._free(unsettled)
            unsettled = self._partners_for_lone_cells()

    def _free(self, unsettled: list[tuple[int, int]]) -> None:
        """Give each fixed cell the cheapest cycle through it: the fewest counts, then the smallest.

        A cell that can move keeps that freedom when more cells are hidden (its cycle stays), so
        each cell is checked until it can move, and never again.
        """
        while unsettled:
            arcs = self._residual_arcs()
            unsettled = [cell for cell in unsettled if not self._can_move(cell, arcs)]
            if unsettled:
                # None: no cycle even through every visible count; nothing here can free it.
                self.complementary.update(self._cheapest_cycle(unsettled.pop(0)) or ())

    def _partners_for_lone_cells(self) -> list[tuple[int, int]]:
        """Hide the smallest count of 5 or more in each row or column with a single hidden cell.

        Only a cell no cycle can free is left alone in a line (a row 1, 1, 5 with its total known
        pins both ones). Its row and column still get a partner, so that it stays hidden from a
        reader who knows one total but not the other.
        """
        hidden = self.hidden()
        partners = []
        for node in sorted({node for ends in self.edges.values() for node in ends} - {GROUND}):
            if sum(node in self.edges[cell] for cell in hidden) != 1:
                continue
            candidates = [
                cell
                for cell, ends in self.edges.items()
                if node in ends and cell not in hidden and self.value(cell) >= THRESHOLD
            ]
            candidates.sort(key=lambda cell: (self.value(cell), cell))
            if candidates:
                partners.append(next(filter(self._freeable, candidates), candidates[0]))
        self.complementary.update(partners)
        return sorted(set(partners))

    def _freeable(self, candidate: tuple[int, int]) -> bool:
        """Tell whether a cycle could free this cell once hidden (a 9 among zeros cannot)."""
        self.complementary.add(candidate)
        try:
            arcs = self._residual_arcs()
            return self._can_move(candidate, arcs) or self._cheapest_cycle(candidate) is not None
        finally:
            self.complementary.discard(candidate)

    def _residual_arcs(self) -> dict[tuple, list[tuple[tuple, tuple[int, int]]]]:
        """For each node, where one unit can go next: along a hidden cell that may grow, or
        back against one that may shrink, within the markers' bounds."""
        arcs: dict[tuple, list[tuple[tuple, tuple[int, int]]]] = {}
        for cell in self.hidden():
            tail, head = self.edges[cell]
            low, high = self.bounds(cell)
            if self.value(cell) < high:
                arcs.setdefault(tail, []).append((head, cell))
            if self.value(cell) > low:
                arcs.setdefault(head, []).append((tail, cell))
        return arcs

    def _can_move(self, cell: tuple[int, int], arcs) -> bool:
        """Tell whether another solution within the markers' bounds gives this cell another value.

        Any two solutions differ by a circulation of hidden cells, which splits into cycles that
        each move one unit within bounds; so the cell can move when a cycle of the residual graph
        passes through it (to grow: from its head back to its tail without using the cell).
        """
        tail, head = self.edges[cell]
        low, high = self.bounds(cell)
        value = self.value(cell)
        grows = value < high and _reaches(arcs, head, tail, avoiding=cell)
        return grows or (value > low and _reaches(arcs, tail, head, avoiding=cell))

    def _cheapest_cycle(self, fixed: tuple[int, int]) -> list[tuple[int, int]] | None:
        """The visible counts whose hiding puts the fixed cell on a cycle that can move it.

        Hidden cells cost nothing to pass; a visible count of 5 or more costs one cell and its
        value, and may grow, or shrink while above 5. Choosing by hand "the next smallest cell in
        the row" fails here: a 5 next to a 1 can only grow, so the 1 could only shrink to 0.
        """
        arcs = self._residual_arcs()
        for cell, (tail, head) in self.edges.items():
            if cell in self.hidden() or self.value(cell) < THRESHOLD:
                continue
            arcs.setdefault(tail, []).append((head, cell))
            if self.value(cell) > THRESHOLD:
                arcs.setdefault(head, []).append((tail, cell))
        tail, head = self.edges[fixed]
        low, high = self.bounds(fixed)
        routes = []
        if self.value(fixed) < high:
            routes.append(self._cheapest_path(arcs, head, tail, avoiding=fixed))
        if self.value(fixed) > low:
            routes.append(self._cheapest_path(arcs, tail, head, avoiding=fixed))
        found = [route for route in routes if route is not None]
        return min(found)[1] if found else None

    def _cheapest_path(self, arcs, start: tuple, goal: tuple, *, avoiding: tuple[int, int]):
        """Dijkstra from start to goal: ((cells to hide, their sum), those cells), or None."""
        hidden = self.hidden()
        best = {start: (0, 0)}
        previous: dict[tuple, tuple[tuple, tuple[int, int]]] = {}
        queue = [((0, 0), start)]
        while queue:
            cost, node = heapq.heappop(queue)
            if node == goal:
                cells = []
                while node != start:
                    node, cell = previous[node]
                    if cell not in hidden:
                        cells.append(cell)
                return cost, sorted(cells)
            if cost > best[node]:
                continue
            for neighbour, cell in arcs.get(node, ()):
                if cell == avoiding:
                    continue
                step = (0, 0) if cell in hidden else (1, self.value(cell))
                reached = (cost[0] + step[0], cost[1] + step[1])
                if neighbour not in best or reached < best[neighbour]:
                    best[neighbour] = reached
                    previous[neighbour] = (node, cell)
                    heapq.heappush(queue, (reached, neighbour))
        return None

    def markers(self) -> dict[tuple[int, int], str]:
        marked = dict.fromkeys(self.primary | self.small_totals, SMALL)
        marked |= dict.fromkeys(self.complementary, HIDDEN)
        rows_with_hidden = {row for row, _column in marked}
        for row in rows_with_hidden:
            for column, value in enumerate(self.rows[row][1:], start=1):
                if _is_derived(value) or (column in self.derived and value is not None):
                    marked[(row, column)] = HIDDEN
        return marked


def _cell(row: list, column: int):
    return row[column] if column < len(row) else None


def _total_column(rows: list[list], count_columns: list[int]) -> int | None:
    """The last count column when, in every row, it holds the sum of the other counts."""
    if len(count_columns) < 3:
        return None
    last, parts = count_columns[-1], count_columns[:-1]
    sums_match = all(
        _cell(row, last) is None
        or _cell(row, last)
        == sum(_cell(row, column) for column in parts if _is_count(_cell(row, column)))
        for row in rows
    )
    any_counts = any(_is_count(_cell(row, last)) and _cell(row, last) > 0 for row in rows)
    all_counts = all(_cell(row, last) is None or _is_count(_cell(row, last)) for row in rows)
    return last if sums_match and any_counts and all_counts else None


def _reaches(arcs, start: tuple, goal: tuple, *, avoiding: tuple[int, int]) -> bool:
    if start == goal:
        return True
    seen, queue = {start}, deque([start])
    while queue:
        for node, cell in arcs.get(queue.popleft(), ()):
            if cell == avoiding:
                continue
            if node == goal:
                return True
            if node not in seen:
                seen.add(node)
                queue.append(node)
    return False
