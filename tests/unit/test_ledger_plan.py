"""The posting plan as pure data: mirrored entries, net balance deltas, demands, shortages."""

from __future__ import annotations

from decimal import Decimal

from jxc.domain.ledger import (
    Move,
    PostedEntry,
    balance_deltas,
    demands,
    holds,
    mirror,
    pool_key,
)
from jxc.domain.locations import Location, LocationKind
from jxc.domain.stock import Balance, BalanceKey, shortages

SUPPLIER = Location(1, "SUPPLIER", "SUPPLIER", LocationKind.SUPPLIER, None)
CUSTOMER = Location(2, "CUSTOMER", "CUSTOMER", LocationKind.CUSTOMER, None)
STOCK = Location(10, "STOCK", "库存", LocationKind.INTERNAL, 1)
SHELF = Location(11, "A-01", "货架 A-01", LocationKind.INTERNAL, 1)
TRANSIT = Location(12, "TRANSIT", "在途", LocationKind.TRANSIT, 1)
LOOSE = Location(30, "STOCK", "库存", LocationKind.INTERNAL, 3, allow_negative_stock=True)
SCREW, NUT = 7, 8


def move(source, target, quantity, item=SCREW, line_no=1, batch_id=0, batch_no=None):
    return Move(
        line_id=100 + line_no,
        line_no=line_no,
        item_id=item,
        item_code={SCREW: "螺丝-M3", NUT: "螺母-M3"}[item],
        from_location=source,
        to_location=target,
        quantity=Decimal(quantity),
        batch_id=batch_id,
        batch_no=batch_no,
    )


# mirror --------------------------------------------------------------------------------


def test_a_mirror_swaps_from_and_to_and_keeps_quantity_value_batch_and_serial():
    entries = [
        PostedEntry(
            501, SCREW, "螺丝-M3", SUPPLIER, STOCK, Decimal(10), Decimal("30.00"), 0, None, None
        ),
        PostedEntry(
            502, NUT, "螺母-M3", SUPPLIER, SHELF, Decimal(1), Decimal("2.50"), 4, "B-2026-03", 99
        ),
    ]

    moves = mirror(entries, {501: (601, 1), 502: (602, 2)})

    assert [(m.line_id, m.line_no, m.item_code) for m in moves] == [
        (602, 2, "螺母-M3"),
        (601, 1, "螺丝-M3"),
    ]
    newest = moves[0]
    assert (newest.from_location, newest.to_location) == (SHELF, SUPPLIER)
    assert (newest.quantity, newest.value) == (Decimal(1), Decimal("2.50"))
    assert (newest.batch_id, newest.batch_no, newest.serial_id) == (4, "B-2026-03", 99)
    assert newest.unit_cost is None


def test_mirroring_twice_gives_back_the_original_moves():
    entries = [
        PostedEntry(
            501, SCREW, "螺丝-M3", STOCK, CUSTOMER, Decimal(3), Decimal("9.00"), 0, None, None
        )
    ]

    once = mirror(entries, {501: (601, 1)})
    back = [
        PostedEntry(
            601,
            m.item_id,
            m.item_code,
            m.from_location,
            m.to_location,
            m.quantity,
            m.value,
            m.batch_id,
            m.batch_no,
            m.serial_id,
        )
        for m in once
    ]
    twice = mirror(back, {601: (501, 1)})

    assert (twice[0].from_location, twice[0].to_location) == (STOCK, CUSTOMER)
    assert twice[0].value == Decimal("9.00")


# balance deltas and demands ------------------------------------------------------------------


def test_deltas_touch_owned_locations_only():
    deltas = balance_deltas([move(SUPPLIER, STOCK, "10"), move(STOCK, CUSTOMER, "4")])

    assert deltas == {BalanceKey(SCREW, STOCK.id, 0): Decimal(6)}


def test_deltas_of_one_item_net_per_location_and_batch():
    deltas = balance_deltas(
        [
            move(STOCK, SHELF, "5", batch_id=3),
            move(STOCK, SHELF, "2", batch_id=4),
            move(SHELF, TRANSIT, "1", batch_id=3),
        ]
    )

    assert deltas == {
        BalanceKey(SCREW, STOCK.id, 3): Decimal(-5),
        BalanceKey(SCREW, SHELF.id, 3): Decimal(4),
        BalanceKey(SCREW, STOCK.id, 4): Decimal(-2),
        BalanceKey(SCREW, SHELF.id, 4): Decimal(2),
        BalanceKey(SCREW, TRANSIT.id, 3): Decimal(1),
    }


def test_a_demand_names_every_line_that_takes_from_a_balance_once_in_order():
    found = demands(
        [
            move(STOCK, CUSTOMER, "2", line_no=1),
            move(STOCK, CUSTOMER, "3", item=NUT, line_no=2),
            move(STOCK, CUSTOMER, "4", line_no=3),
            move(STOCK, CUSTOMER, "1", line_no=3),
        ]
    )

    assert [(d.item_code, d.quantity, d.line_numbers) for d in found] == [
        ("螺丝-M3", Decimal(7), (1, 3)),
        ("螺母-M3", Decimal(3), (2,)),
    ]
    assert found[0].key == BalanceKey(SCREW, STOCK.id, 0)
    assert found[0].location == STOCK


def test_stock_that_comes_in_within_the_same_posting_nets_out_its_demand():
    found = demands([move(SUPPLIER, STOCK, "5", line_no=1), move(STOCK, CUSTOMER, "3", line_no=2)])

    assert found == []


def test_a_demand_is_only_the_net_shortfall_of_what_leaves():
    found = demands(
        [
            move(SUPPLIER, STOCK, "2", line_no=1),
            move(STOCK, CUSTOMER, "5", line_no=2, batch_no=None),
        ]
    )

    assert [(d.quantity, d.line_numbers) for d in found] == [(Decimal(3), (2,))]


def test_holds_add_up_to_what_each_balance_loses_net_in_the_order_of_the_moves():
    through = [move(STOCK, TRANSIT, "3", line_no=1), move(TRANSIT, SHELF, "3", line_no=2)]
    partly = [
        move(STOCK, CUSTOMER, "4", line_no=1),
        move(SUPPLIER, STOCK, "3", line_no=2),
        move(STOCK, CUSTOMER, "2", line_no=3),
    ]

    def held(moves):
        net = {k: -d for k, d in balance_deltas(moves).items() if d < 0}
        return [(m.line_no, m.from_location.code, q) for m, q in holds(moves, net)]

    assert held(through) == [(1, "STOCK", Decimal(3))]  # in transit only passed through
    assert held(partly) == [(1, "STOCK", Decimal(3))]  # 6 out, 3 in: 3 held, first line first


def test_virtual_locations_never_demand_stock():
    assert demands([move(SUPPLIER, CUSTOMER, "100")]) == []


def test_pools_exist_for_owned_locations_only_and_transit_has_its_own():
    assert pool_key(SCREW, STOCK) == (SCREW, 1, False)
    assert pool_key(SCREW, TRANSIT) == (SCREW, 1, True)
    assert pool_key(SCREW, CUSTOMER) is None


# shortages ------------------------------------------------------------------------------


def test_a_demand_above_available_stock_is_short_naming_its_lines():
    needed = demands(
        [
            move(STOCK, CUSTOMER, "4", line_no=2, batch_id=5, batch_no="B-01"),
            move(STOCK, CUSTOMER, "3", line_no=4, batch_id=5, batch_no="B-01"),
        ]
    )
    on_hand_8_reserved_2 = {BalanceKey(SCREW, STOCK.id, 5): Balance(Decimal(8), Decimal(2))}

    short = shortages(needed, on_hand_8_reserved_2)

    assert [(s.pointer, s.code) for s in short] == [("/lines/2", "stock.line_short")]
    assert short[0].params == {
        "lines": "2, 4",
        "item": "螺丝-M3",
        "location": "STOCK",
        "batch": "/B-01",
        "requested": "7",
        "available": "6",
    }


def test_available_stock_exactly_enough_is_not_short():
    needed = demands([move(STOCK, CUSTOMER, "6")])

    assert (
        shortages(needed, {BalanceKey(SCREW, STOCK.id, 0): Balance(Decimal(8), Decimal(2))}) == []
    )


def test_a_missing_balance_is_short_with_nothing_available():
    short = shortages(demands([move(STOCK, CUSTOMER, "1.5")]), {})

    assert short[0].params["available"] == "0"
    assert short[0].params["requested"] == "1.5"
    assert short[0].params["batch"] == ""


def test_negative_available_is_reported_as_nothing_available():
    short = shortages(
        demands([move(STOCK, CUSTOMER, "1")]),
        {BalanceKey(SCREW, STOCK.id, 0): Balance(Decimal(2), Decimal(5))},
    )

    assert short[0].params["available"] == "0"


def test_a_location_that_allows_negative_stock_is_never_short():
    assert shortages(demands([move(LOOSE, CUSTOMER, "1000")]), {}) == []


def test_stock_in_transit_can_never_go_negative():
    short = shortages(demands([move(TRANSIT, STOCK, "1")]), {})

    assert [s.params["location"] for s in short] == ["TRANSIT"]
