"""Graph and grid helpers for routing in a warehouse."""


def hop_distances(graph, start):
    """The number of hops from `start` to every node reachable from it (adjacency dict)."""
    distances = {start: 0}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for neighbour in graph.get(node, []):
            if neighbour not in distances:
                distances[neighbour] = distances[node] + 1
                queue.append(neighbour)
    return distances


def grid_routes(rows, cols):
    """The number of shortest routes across a rows x cols grid (moves right or down only)."""
    if rows < 0 or cols < 0:
        return 0
    if rows == 0 or cols == 0:
        return 1
    return grid_routes(rows - 1, cols) + grid_routes(rows, cols - 1)
