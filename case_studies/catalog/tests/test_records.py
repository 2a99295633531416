from catalog_demo.records import Job, batch_status, join_orders, revenue_for_skus, skus_in_stock


def test_batch_status():
    jobs = [Job(1, "ok", 1.5), Job(2, "error", 0.2), Job(3, "ok", 3.0)]
    assert batch_status(jobs) == "failed"
    assert batch_status(jobs[:1] + jobs[2:]) == "ok"


def test_batch_status_empty():
    assert batch_status([]) == "ok"


def test_join_orders():
    customers = [{"id": 1, "name": "Ada"}, {"id": 2, "name": "Bo"}]
    orders = [{"id": 10, "customer_id": 2, "total": 5.0},
              {"id": 11, "customer_id": 3, "total": 7.5},
              {"id": 12, "customer_id": 1, "total": 1.25}]
    assert join_orders(orders, customers) == [(10, "Bo", 5.0), (12, "Ada", 1.25)]


def test_join_orders_empty():
    assert join_orders([], [{"id": 1, "name": "Ada"}]) == []
    assert join_orders([{"id": 10, "customer_id": 1, "total": 5.0}], []) == []


def test_revenue_for_skus():
    orders = [{"sku": "A", "amount": 10}, {"sku": "B", "amount": 5}, {"sku": "A", "amount": 1}]
    assert revenue_for_skus(orders, ["A", "C"]) == 11
    assert revenue_for_skus(orders, ["Z"]) == 0


def test_revenue_for_skus_empty():
    assert revenue_for_skus([], ["A"]) == 0


def test_skus_in_stock():
    items = [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 0}, {"sku": "C", "quantity": 9}]
    assert skus_in_stock(items) == ["A", "C"]
    assert skus_in_stock(items[1:2]) == []


def test_skus_in_stock_empty():
    assert skus_in_stock([]) == []
