"""Deduplicate and order records, as a log pipeline does."""


def unique_ordered(items):
    """The distinct items, in the order they first appear."""
    seen = []
    out = []
    for item in items:
        if item not in seen:
            seen.append(item)
            out.append(item)
    return out


def reachable(graph, start):
    """Nodes reachable from start in breadth-first order."""
    queue = [start]
    visited = {start}
    order = []
    while queue:
        node = queue.pop(0)
        order.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in visited:
                visited.add(nxt)
                queue.append(nxt)
    return order
