"""Order, job and inventory records."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    """One finished job of a batch."""

    id: int
    status: str
    seconds: float


def batch_status(jobs):
    """The batch's status: failed when any of its jobs ended in error, else ok."""
    if len([job for job in jobs if job.status == "error"]) > 0:
        return "failed"
    return "ok"


def join_orders(orders, customers):
    """(order id, customer name, order total) for each order whose customer is known."""
    joined = []
    for order in orders:
        for customer in customers:
            if order["customer_id"] == customer["id"]:
                joined.append((order["id"], customer["name"], order["total"]))
    return joined


def revenue_for_skus(orders, skus):
    """The summed amount of the orders whose SKU is one of `skus`."""
    total = 0
    for order in orders:
        if order["sku"] in skus:
            total += order["amount"]
    return total


def skus_in_stock(items):
    """The SKUs of the inventory items with at least one unit on hand, in input order."""
    result = []
    for item in items:
        if item["quantity"] > 0:
            result.append(item["sku"])
    return result
