"""Workload: an order-analytics pipeline written with toolz (pure-Python toolz, not cytoolz)."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import toolz
from toolz import curried as c

REGIONS = ["north", "south", "east", "west", "central"]
PRODUCTS = ["widget", "gadget", "doohickey", "gizmo", "thingamajig", "whatsit", "sprocket"]


def make_orders(rng, n):
    customers = rng.choices(range(2000), k=n)
    regions = rng.choices(REGIONS, k=n)
    products = rng.choices(PRODUCTS, k=n)
    qtys = rng.choices(range(1, 21), k=n)
    days = rng.choices(range(365), k=n)
    return [
        {"id": i, "customer": "c%04d" % cu, "region": re, "product": pr,
         "qty": q, "price": round(1.0 + 249.0 * rng.random(), 2), "day": d}
        for i, (cu, re, pr, q, d) in enumerate(zip(customers, regions, products, qtys, days))
    ]


def make_customers(rng):
    return [{"customer": "c%04d" % i, "tier": rng.choice(["gold", "silver", "bronze"])}
            for i in range(2000)]


def revenue(order):
    return order["qty"] * order["price"]


def main():
    rng = random.Random(12345)
    orders = make_orders(rng, 200000)
    customers = make_customers(rng)
    out = []

    # Group and aggregate.
    by_region = toolz.groupby("region", orders)
    out.append(sorted(toolz.valmap(len, by_region).items()))
    rev_by_product = toolz.reduceby("product", lambda acc, o: acc + revenue(o), orders, 0.0)
    out.append(sorted((k, round(v, 2)) for k, v in rev_by_product.items()))
    out.append(sorted(toolz.countby(lambda o: o["qty"] > 10, orders).items()))
    out.append(sorted(toolz.frequencies(toolz.pluck("customer", orders)).items())[:50])

    # Curried pipeline: top customers by revenue among big orders.
    top = toolz.pipe(
        orders,
        c.filter(lambda o: o["qty"] >= 5),
        c.map(lambda o: (o["customer"], revenue(o))),
        c.reduceby(lambda kv: kv[0], lambda acc, kv: acc + kv[1], init=0.0),
        dict.items,
        c.topk(20, key=lambda kv: kv[1]),
        list,
    )
    out.append([(k, round(v, 2)) for k, v in top])

    # Join orders with customers, merge per-tier statistics.
    joined = toolz.join("customer", customers, "customer", orders)
    per_tier = toolz.merge_with(sum, *({cust["tier"]: revenue(o)} for cust, o in joined))
    out.append(sorted((k, round(v, 2)) for k, v in per_tier.items()))

    # Sliding windows over the daily revenue series.
    daily = toolz.reduceby("day", lambda acc, o: acc + revenue(o), orders, 0.0)
    series = [daily.get(d, 0.0) for d in range(365)]
    moving = [sum(w) / 7 for w in toolz.sliding_window(7, series)]
    out.append([round(x, 2) for x in moving[::30]])

    # Batching, uniqueness, interleaving, dictionary helpers.
    batches = list(toolz.partition_all(128, toolz.pluck("id", orders)))
    out.append((len(batches), sum(map(len, batches))))
    uniq = list(toolz.unique(orders, key=lambda o: (o["customer"], o["product"])))
    out.append(len(uniq))
    inter = list(toolz.take(1000, toolz.interleave([toolz.pluck("qty", v) for _, v in sorted(by_region.items())])))
    out.append(sum(inter))
    slim = [toolz.keyfilter(lambda k: k in ("id", "qty", "price"), o) for o in orders[:80000]]
    slim = [toolz.assoc(o, "total", o["qty"] * o["price"]) for o in slim]
    slim = [toolz.update_in(o, ["qty"], lambda q: q * 2) for o in slim]
    out.append(round(sum(o["total"] for o in slim), 2))
    nested = {}
    for o in orders[:60000]:
        nested = toolz.update_in(nested, [o["region"], o["product"]], lambda x: (x or 0) + o["qty"], default=0)
    out.append(toolz.get_in(["north", "widget"], nested))
    merged = list(toolz.merge_sorted(*[sorted(toolz.pluck("price", v)) for _, v in sorted(by_region.items())]))
    out.append(round(sum(merged[:1000]), 2))
    composed = toolz.compose(sum, c.map(revenue), c.filter(lambda o: o["region"] == "east"))
    out.append(round(composed(orders), 2))
    out.append(toolz.count(toolz.concat(toolz.partition(3, range(10000)))))
    out.append(len(list(toolz.diff(toolz.pluck("qty", orders[:10000]), toolz.pluck("qty", orders[10000:20000])))))
    out.append(toolz.isdistinct(toolz.pluck("id", orders)))

    print("checksum", hashlib.sha256(repr(out).encode()).hexdigest()[:16])


if __name__ == "__main__":
    main()
