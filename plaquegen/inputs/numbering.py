"""Orders -> numbered orders: each VIN looked up in the production register.

An order whose VIN the register refuses, or whose car was already ordered on
an earlier line of the same file, becomes a Reject with the reason. The first
order for a car wins; a later one names the line it repeats.
"""
from __future__ import annotations

from typing import Iterable

from ..core.records import Numbered, Order, Reject, pad_number
from .register import Refused, Register

__all__ = ["number_orders"]


def number_orders(orders: Iterable[Order], register: Register) -> tuple[list[Numbered], list[Reject]]:
    """Look every order's VIN up; return (numbered, rejects) in file order."""
    numbered: list[Numbered] = []
    rejects: list[Reject] = []
    first_line: dict[str, Order] = {}
    for order in orders:
        try:
            car = register.lookup(order.vin)
        except Refused as e:
            rejects.append(Reject(order.line, order.order_id, order.vin, e.reason, order.raw))
            continue
        seen = first_line.get(car.vin)
        if seen is not None:
            rejects.append(Reject(order.line, order.order_id, order.vin,
                                  f"car {car.vin} (No. {pad_number(car.number, register.total)}) was already ordered on line "
                                  f"{seen.line} (order {seen.order_id}); only the first order is made",
                                  order.raw))
            continue
        first_line[car.vin] = order
        numbered.append(Numbered(order, car.vin, car.number, register.total, car.market))
    return numbered, rejects
