"""Numeric summaries of readings, prices and quantities."""


def count_above_average(readings):
    """How many readings are strictly above the mean of all readings."""
    count = 0
    for reading in readings:
        if reading > sum(readings) / len(readings):
            count += 1
    return count


def scaled_total(quantities, factor):
    """The sum of every quantity multiplied by `factor`."""
    total = 0
    for i in range(len(quantities)):
        total += quantities[i] * factor
    return total


def to_fahrenheit(celsius):
    """The temperatures converted from degrees Celsius to degrees Fahrenheit."""
    return list(map(lambda c: c * 9 / 5 + 32, celsius))


def price_range(prices):
    """(lowest, highest) price, or None when there are no prices."""
    if not prices:
        return None
    return sorted(prices)[0], sorted(prices)[-1]
