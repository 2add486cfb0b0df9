"""Small cells never leave the hotline, and no hidden cell can be worked out from what does.

The attacker below is independent of reports/suppression.py: it reads the published table as a
reader would, knows every row's and column's total from the original (shown or not), knows the
rule (zeros are shown, "<5" is 1 to 4, "×" is 5 or more), and tries every assignment of the hidden
cells that agrees with all of that. A hidden cell that takes one value in every assignment has
been worked out.
"""

import dataclasses
import datetime
import random

from reports.report import Chart, Report, Table
from reports.suppression import HIDDEN, SMALL, report_suppressed, table_suppressed

# -- the attacker ----------------------------------------------------------------------------

BOUNDS = {SMALL: (1, 4), HIDDEN: (5, None)}


def count_cells(table: Table, *, total_column: int | None = None) -> list[tuple[int, int]]:
    """The body's count cells: not the total row, not the total column, not the labels."""
    body = table.rows[:-1] if table.total_row else table.rows
    return [
        (row, column)
        for row, values in enumerate(body)
        for column, value in enumerate(values)
        if column > 0 and column != total_column and type(value) is int and value >= 0
    ]


def attack(original: Table, published: Table, *, total_column: int | None = None) -> dict:
    """Every hidden count the reader can work out, with its value."""
    cells = count_cells(original, total_column=total_column)
    rows = {row for row, _ in cells}
    columns = {column for _, column in cells}
    lines = [[cell for cell in cells if cell[0] == row] for row in rows]
    lines += [[cell for cell in cells if cell[1] == column] for column in columns]
    # A line of one cell has no total beyond the cell itself.
    lines = [line for line in lines if len(line) >= 2]

    def shown(cell):
        return published.rows[cell[0]][cell[1]]

    hidden = [cell for cell in cells if shown(cell) in BOUNDS]
    assert all(type(shown(cell)) is int for cell in cells if cell not in hidden)
    constrained = [cell for cell in hidden if any(cell in line for line in lines)]
    residual = []  # per line: (its hidden cells, their known sum)
    for line in lines:
        known = sum(shown(cell) for cell in line if cell not in hidden)
        total = sum(original.rows[row][column] for row, column in line)
        residual.append(([cell for cell in line if cell in hidden], total - known))
    domains = {}
    for cell in constrained:
        low, high = BOUNDS[shown(cell)]
        room = min(rest for members, rest in residual if cell in members)
        domains[cell] = range(low, (room if high is None else min(high, room)) + 1)
    seen = {cell: set() for cell in constrained}
    assignment = {}

    def consistent() -> bool:
        for members, rest in residual:
            done = [assignment[cell] for cell in members if cell in assignment]
            open_low = sum(BOUNDS[shown(cell)][0] for cell in members if cell not in assignment)
            if sum(done) + open_low > rest:
                return False
            if len(done) == len(members) and sum(done) != rest:
                return False
        return True

    def search(position: int) -> None:
        if all(len(values) > 1 for values in seen.values()):
            return
        if position == len(constrained):
            for cell, value in assignment.items():
                seen[cell].add(value)
            return
        cell = constrained[position]
        for value in domains[cell]:
            assignment[cell] = value
            if consistent():
                search(position + 1)
            del assignment[cell]

    search(0)
    # The original itself agrees with what is published, so there is always a solution.
    assert all(seen.values())
    return {cell: values.pop() for cell, values in seen.items() if len(values) == 1}


def primary_only(table: Table) -> Table:
    """What hiding only the small cells would publish: the attacker's first victory."""
    rows = [
        [value if not (type(value) is int and 1 <= value <= 4) else SMALL for value in row]
        for row in table.rows
    ]
    return dataclasses.replace(table, rows=rows)


def table(rows, **fields) -> Table:
    width = len(rows[0]) - 1
    return Table(
        key="crafted",
        title="Bảng thử",
        columns=["", *[f"c{n}" for n in range(width)]],
        rows=rows,
        **fields,
    )


def report_of(*tables: Table) -> Report:
    return Report(
        kind="monthly",
        scope="01",
        scope_name="Tổng đài Thành phố Hà Nội",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 1, 31),
        title="Báo cáo tháng",
        generated_at=datetime.datetime(2026, 2, 1, 7, 0, tzinfo=datetime.UTC),
        tables=list(tables),
        charts=[
            Chart(key="week", title="Theo tuần", kind="bar", labels=["1"], series=[("a", [3])])
        ],
        notes=["Số liệu đếm liên hệ, không có nội dung."],
    )


def hidden_cells(published: Table) -> set:
    return {
        (row, column)
        for row, values in enumerate(published.rows)
        for column, value in enumerate(values)
        if value in (SMALL, HIDDEN)
    }


# -- primary suppression ---------------------------------------------------------------------


def test_it_shows_counts_from_one_to_four_as_under_five_and_keeps_zeros():
    crafted = table([["Web chat", 3, 0, 40], ["Điện thoại", 12, 0, 7], ["SMS", 1, 9, 30]])

    published = table_suppressed(crafted)

    assert published.rows[0][1] == SMALL
    assert published.rows[2][1] == SMALL
    assert [published.rows[row][2] for row in range(3)][:2] == [0, 0]
    assert published.rows[1][3] == 7 or published.rows[1][3] == HIDDEN
    assert published.rows[0][0] == "Web chat"


def test_it_leaves_tables_of_rates_and_durations_as_they_are():
    rates = table([["Tỷ lệ trả lời", 2.5, 3], ["Thời gian chờ (giây)", 4, 1]], counts_people=False)

    assert table_suppressed(rates).rows == rates.rows


# -- complementary suppression ---------------------------------------------------------------


def test_it_hides_a_second_cell_where_the_totals_would_give_the_small_one_away():
    crafted = table([["12-14", 2, 30, 41], ["15-17", 25, 38, 60], ["18-24", 17, 22, 9]])
    # The attacker is real: hiding only the 2 gives it away from its row's total.
    assert attack(crafted, primary_only(crafted)) == {(0, 1): 2}

    published = table_suppressed(crafted)

    assert published.rows[0][1] == SMALL
    assert len(hidden_cells(published)) >= 4
    assert attack(crafted, published) == {}


def test_it_does_not_trust_a_five_beside_a_one():
    crafted = table([["a", 1, 5, 30], ["b", 20, 22, 40], ["c", 9, 18, 12]])
    # Hiding the next smallest cell of each line ("1" with "5", "9" and "18") still gives the
    # 1 away: the 5 is at least 5, so 1 + 5 = 6 leaves the 1 no other value.
    naive = table([["a", SMALL, HIDDEN, 30], ["b", 20, 22, 40], ["c", HIDDEN, HIDDEN, 12]])
    assert attack(crafted, naive) == {(0, 1): 1, (0, 2): 5, (2, 1): 9, (2, 2): 18}

    published = table_suppressed(crafted)

    assert published.rows[0][1] == SMALL
    assert attack(crafted, published) == {}


def test_it_protects_a_single_column_from_its_total():
    crafted = table([["Nam", 3], ["Nữ", 48], ["Khác", 7], ["Không rõ", 0]])
    assert attack(crafted, primary_only(crafted)) == {(0, 1): 3}

    published = table_suppressed(crafted)

    assert published.rows == [["Nam", SMALL], ["Nữ", 48], ["Khác", HIDDEN], ["Không rõ", 0]]
    assert attack(crafted, published) == {}


def test_it_protects_cells_from_a_total_row_and_a_total_column_it_shows():
    crafted = table(
        [
            ["Web chat", 4, 18, 26, 48],
            ["Điện thoại", 11, 1, 35, 47],
            ["SMS", 6, 9, 3, 18],
            ["Tổng", 21, 28, 64, 113],
        ],
        total_row=True,
    )
    assert attack(crafted, primary_only(crafted), total_column=4) != {}

    published = table_suppressed(crafted)

    # The totals stay: the reader is assumed to know them anyway.
    assert published.rows[3] == ["Tổng", 21, 28, 64, 113]
    assert [row[4] for row in published.rows] == [48, 47, 18, 113]
    assert {(0, 1), (1, 2), (2, 3)} <= hidden_cells(published)
    assert attack(crafted, published, total_column=4) == {}


def test_it_shows_a_small_total_as_under_five():
    crafted = table([["a", 1, 0, 20], ["b", 2, 6, 30], ["Tổng", 3, 6, 50]], total_row=True)

    published = table_suppressed(crafted)

    assert published.rows[2][1] == SMALL
    assert attack(crafted, published) == {}


def test_it_leaves_no_row_or_column_with_a_single_hidden_cell_while_it_has_another_to_hide():
    generator = random.Random(10)
    for _ in range(40):
        crafted = table(
            [
                [f"r{row}", *[generator.choice([0, 1, 3, 5, 6, 9, 14, 40]) for _ in range(4)]]
                for row in range(5)
            ]
        )
        published = table_suppressed(crafted)
        hidden = hidden_cells(published)
        lines = [[(row, column) for column in range(1, 5)] for row in range(5)]
        lines += [[(row, column) for row in range(5)] for column in range(1, 5)]
        for line in lines:
            if len(hidden.intersection(line)) == 1:
                left = [published.rows[row][column] for row, column in line]
                assert all(value in (SMALL, HIDDEN) or value < 5 for value in left), crafted.rows


def test_it_gives_nothing_away_in_random_tables():
    generator = random.Random(2026)
    given_away = 0
    for _ in range(40):
        # Each row and column keeps counts that can move; see the next test for those that cannot.
        crafted = table(
            [[f"r{row}", *generator.sample([1, 2, 4, 7, 9, 13, 25, 0], 3), 30] for row in range(3)]
            + [["r3", 8, 11, 17, 6]]
        )
        published = table_suppressed(crafted)
        assert attack(crafted, published) == {}, crafted.rows
        given_away += bool(attack(crafted, primary_only(crafted)))
    # Most of these tables would give a small count away if only the small counts were hidden.
    assert given_away > 20


def test_it_cannot_hide_what_the_totals_alone_tell():
    # Row a holds 1, 1 and 5 with its total, 7, known: whatever is hidden, the ones are 1 (and
    # the five is 5, since "×" is at least 5).
    crafted = table([["a", 1, 1, 5], ["b", 9, 8, 20], ["c", 7, 6, 12]])
    everything = dataclasses.replace(
        crafted,
        rows=[
            [row[0], *[SMALL if value < 5 else HIDDEN for value in row[1:]]] for row in crafted.rows
        ],
    )
    assert attack(crafted, everything) == {(0, 1): 1, (0, 2): 1, (0, 3): 5}

    published = table_suppressed(crafted)

    assert set(attack(crafted, published)) == {(0, 1), (0, 2)}
    # Their columns still hide a partner, for a reader who knows a column's total only.
    assert {(0, 1), (0, 2)} < hidden_cells(published)
    for column in (1, 2):
        assert sum((row, column) in hidden_cells(published) for row in range(3)) >= 2


# -- derived values, copies, idempotence -----------------------------------------------------


def test_it_hides_the_shares_and_changes_of_a_row_with_a_hidden_count():
    crafted = table(
        [["a", 3, 5.5, -37], ["b", 40, 72.7, -2], ["c", 12, 21.8, -1], ["Tổng", 55, 100.0, -40]],
        total_row=True,
    )

    published = table_suppressed(crafted)

    assert published.rows[0] == ["a", SMALL, HIDDEN, HIDDEN]
    assert published.rows[1] == ["b", 40, 72.7, -2]
    assert published.rows[2] == ["c", HIDDEN, HIDDEN, HIDDEN]


def test_it_hides_the_columns_the_builder_marks_as_derived_in_a_row_with_a_hidden_count():
    # A rise of 2 is an int like a count; the builder says the last two columns are derived.
    comparison = table(
        [
            ["Lượt liên hệ", 212, 180, 32, 17.8],
            ["Lượt có nguy hiểm tức thời", 3, 1, 2, 200.0],
            ["Hồ sơ mở mới", 40, 35, 5, 14.3],
            ["Yêu cầu chuyển tuyến", 9, 6, 3, 50.0],
        ],
        derived_columns=2,
    )

    published = table_suppressed(comparison)

    assert published.rows[1] == ["Lượt có nguy hiểm tức thời", SMALL, SMALL, HIDDEN, HIDDEN]
    assert published.rows[0] == ["Lượt liên hệ", 212, 180, 32, 17.8]
    # Without its derived columns the table is an ordinary one, and gives nothing away.
    counts_only = table([row[:3] for row in comparison.rows])
    assert attack(counts_only, table([row[:3] for row in published.rows])) == {}
    for row in published.rows:
        if SMALL in row[1:3] or HIDDEN in row[1:3]:
            assert row[3:] == [HIDDEN, HIDDEN], row


def test_it_changes_nothing_the_second_time():
    crafted = table([["a", 1, 5, 30], ["b", 20, 22, 40], ["c", 9, 18, 12]])
    rates = table([["x", 2.5, 3]], counts_people=False)
    once = report_suppressed(report_of(crafted, rates))

    assert report_suppressed(once) == once


def test_it_copies_the_report_without_charts_and_leaves_the_original_alone():
    crafted = table([["a", 1, 5, 30], ["b", 20, 22, 40], ["c", 9, 18, 12]])
    original = report_of(crafted)

    published = report_suppressed(original)

    assert published.charts == []
    assert original.charts != []
    assert original.tables[0].rows[0] == ["a", 1, 5, 30]
    assert published.tables[0].rows[0][1] == SMALL
    assert published.notes == original.notes
    assert (published.kind, published.scope, published.start, published.end) == (
        original.kind,
        original.scope,
        original.start,
        original.end,
    )


def test_a_rate_or_a_median_worked_out_from_a_small_count_is_hidden_too():
    from reports.report import Report

    counts = Table(
        key="comparison",
        title="Counts",
        columns=["", "Now", "Before", "Change", "Change (%)"],
        rows=[["Contacts", 40, 13, 27, 207.7], ["Abandoned", 6, 1, 5, 500.0]],
        derived_columns=2,
    )
    rates = Table(
        key="service",
        title="Rates",
        columns=["", "Now", "Before", "Change", "Change (%)"],
        rows=[["Abandon rate", 15.0, 7.7, 7.3, 94.8], ["Wait median", 30.0, 20.0, 10.0, 50.0]],
        counts_people=False,
        derived_columns=2,
        depends_on={0: [("comparison", 1), ("comparison", 0)], 1: [("comparison", 0)]},
    )
    report = Report(
        kind="quarterly",
        scope="01",
        scope_name="Hà Nội",
        start=datetime.date(2026, 1, 1),
        end=datetime.date(2026, 3, 31),
        title="t",
        generated_at=datetime.datetime(2026, 4, 1, tzinfo=datetime.UTC),
        tables=[counts, rates],
    )
    suppressed = report_suppressed(report)
    # 13 contacts at 7.7 % abandoned would give the hidden 1 back.
    assert suppressed.table("service").rows[0][2:] == ["×", "×", "×"]
    # A rate stays shown only where every count it comes from is shown and not small.
    for service_row, source_rows in ((0, (0, 1)), (1, (0,))):
        for column in (1, 2):
            sources = [suppressed.table("comparison").rows[row][column] for row in source_rows]
            shown = suppressed.table("service").rows[service_row][column] != "×"
            assert shown == all(isinstance(cell, int) and cell >= 5 for cell in sources)
    assert report.table("service").rows[0][2] == 7.7
