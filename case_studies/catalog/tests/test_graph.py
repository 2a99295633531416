from catalog_demo.graph import grid_routes, hop_distances


def test_hop_distances():
    graph = {"a": ["b", "c"], "b": ["d"], "c": ["d", "e"], "d": ["a"], "e": []}
    assert hop_distances(graph, "a") == {"a": 0, "b": 1, "c": 1, "d": 2, "e": 2}
    assert list(hop_distances(graph, "a")) == ["a", "b", "c", "d", "e"]


def test_hop_distances_lone_node():
    assert hop_distances({}, 7) == {7: 0}


def test_grid_routes():
    assert grid_routes(2, 2) == 6
    assert grid_routes(3, 5) == 56
    assert grid_routes(8, 8) == 12870


def test_grid_routes_edges():
    assert grid_routes(0, 4) == 1
    assert grid_routes(-1, 3) == 0
