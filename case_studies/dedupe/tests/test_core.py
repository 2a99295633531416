from dedupe.core import reachable, unique_ordered


def test_unique_ordered_keeps_first_occurrences():
    assert unique_ordered([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_unique_ordered_empty():
    assert unique_ordered([]) == []


def test_unique_ordered_strings():
    words = "the quick brown fox jumps over the lazy dog the end".split()
    assert unique_ordered(words) == ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "end"]


def test_unique_ordered_many():
    data = [i % 700 for i in range(3000)]
    assert unique_ordered(data) == list(range(700))


def test_reachable():
    graph = {0: [1, 2], 1: [3], 2: [3], 3: []}
    assert reachable(graph, 0) == [0, 1, 2, 3]


def test_reachable_chain():
    n = 3000
    graph = {i: [i + 1] for i in range(n)}
    assert reachable(graph, 0) == list(range(n + 1))
