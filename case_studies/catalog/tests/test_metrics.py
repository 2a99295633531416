from catalog_demo.metrics import count_above_average, price_range, scaled_total, to_fahrenheit


def test_count_above_average():
    assert count_above_average([1, 2, 3, 4, 10]) == 1
    assert count_above_average([5, 5, 5]) == 0


def test_count_above_average_empty():
    assert count_above_average([]) == 0


def test_scaled_total():
    assert scaled_total([1, 2, 3], 2) == 12
    assert scaled_total([0.5, 0.25], 4) == 3.0


def test_scaled_total_empty():
    assert scaled_total([], 3) == 0


def test_to_fahrenheit():
    assert to_fahrenheit([0, 100, -40]) == [32.0, 212.0, -40.0]


def test_to_fahrenheit_empty():
    assert to_fahrenheit([]) == []


def test_price_range():
    assert price_range([3.5, 1.25, 9.0, 2.0]) == (1.25, 9.0)
    assert price_range([4.0]) == (4.0, 4.0)


def test_price_range_empty():
    assert price_range([]) is None
