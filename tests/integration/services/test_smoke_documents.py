from decimal import Decimal

import pytest

from jxc.domain.errors import InsufficientStock
from jxc.queries import consistency, stock_levels
from tests.builders import a_warehouse, an_item, issue, receive, snapshot


def test_an_issue_larger_than_available_is_refused_naming_every_short_line(app):
    warehouse = a_warehouse(app)
    screw, nut = an_item(app), an_item(app)
    receive(
        app, warehouse, {"item": screw.code, "quantity": "5"}, {"item": nut.code, "quantity": "2"}
    )
    before = snapshot(app)

    with pytest.raises(InsufficientStock) as refused:
        issue(
            app,
            warehouse,
            {"item": screw.code, "quantity": "6"},
            {"item": nut.code, "quantity": "1"},
            {"item": nut.code, "quantity": "3"},
        )

    assert [item.params["item"] for item in refused.value.items] == [screw.code, nut.code]
    assert snapshot(app) == before
    with app.reader() as connection:
        assert stock_levels.on_hand(connection, screw.code, warehouse).on_hand == Decimal(5)
        assert consistency.check(connection).ok
