"""Record `transcript.json`: a model run of this case study that `--replay` reproduces
with no provider, key or network.

No model provider is reachable where this project is developed, so the answers
below were written by hand, in the shapes real models give (prose around a code
block, a near-miss that passes the tests but not the generated calls, a repair,
a SEARCH/REPLACE refinement). They are served by the test suite's fake
OpenAI-compatible server and recorded through the real litellm path:

    python case_studies/dedupe/record_demo_transcript.py
"""
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "tests"))
from fake_openai import FakeOpenAI  # noqa: E402

U, R = "`dedupe.core.unique_ordered`", "`dedupe.core.reachable`"
ANSWERS = {
    f"Optimize {U}": [
        "Membership in a list is O(n); a dict keeps first-seen order with O(1) lookups.\n"
        "```python\ndef unique_ordered(items):\n    \"\"\"The distinct items, in the order they first appear.\"\"\"\n"
        "    return list(dict.fromkeys(items))\n```",
        "Track what was seen in a set.\n```python\ndef unique_ordered(items):\n"
        "    \"\"\"The distinct items, in the order they first appear.\"\"\"\n    out = [items[0]]\n"
        "    seen = {items[0]}\n    for item in items[1:]:\n        if item not in seen:\n"
        "            seen.add(item)\n            out.append(item)\n    return out\n```",
    ],
    f"rewrite of {U}": [
        "An empty input has no first item; start from empty containers instead.\n```python\n"
        "def unique_ordered(items):\n    \"\"\"The distinct items, in the order they first appear.\"\"\"\n"
        "    seen = set()\n    out = []\n    for item in items:\n        if item not in seen:\n"
        "            seen.add(item)\n            out.append(item)\n    return out\n```",
    ],
    f"version of {U}": [
        "Unpacking skips the list() call lookup.\n<<<<<<< SEARCH\n    return list(dict.fromkeys(items))\n=======\n"
        "    return [*dict.fromkeys(items)]\n>>>>>>> REPLACE",
    ],
    f"Optimize {R}": [
        "`list.pop(0)` shifts the whole list; a deque pops from the left in O(1).\n```python\n"
        "from collections import deque\n\ndef reachable(graph, start):\n"
        "    \"\"\"Nodes reachable from start in breadth-first order.\"\"\"\n    queue = deque([start])\n"
        "    visited = {start}\n    order = []\n    while queue:\n        node = queue.popleft()\n"
        "        order.append(node)\n        for nxt in graph.get(node, ()):\n            if nxt not in visited:\n"
        "                visited.add(nxt)\n                queue.append(nxt)\n    return order\n```",
        "Pop from the end instead: O(1).\n```python\ndef reachable(graph, start):\n"
        "    \"\"\"Nodes reachable from start in breadth-first order.\"\"\"\n    queue = [start]\n"
        "    visited = {start}\n    order = []\n    while queue:\n        node = queue.pop()\n"
        "        order.append(node)\n        for nxt in graph.get(node, ()):\n            if nxt not in visited:\n"
        "                visited.add(nxt)\n                queue.append(nxt)\n    return order\n```",
    ],
    f"rewrite of {R}": [
        "Popping from the end made it depth-first; a deque keeps breadth-first order.\n```python\n"
        "from collections import deque\n\ndef reachable(graph, start):\n"
        "    \"\"\"Nodes reachable from start in breadth-first order.\"\"\"\n    queue = deque([start])\n"
        "    visited = {start}\n    order = []\n    append, popleft = queue.append, queue.popleft\n"
        "    while queue:\n        node = popleft()\n        order.append(node)\n"
        "        for nxt in graph.get(node, ()):\n            if nxt not in visited:\n"
        "                visited.add(nxt)\n                append(nxt)\n    return order\n```",
    ],
    f"version of {R}": [
        "Bind the hot methods to locals.\n<<<<<<< SEARCH\n    order = []\n=======\n    order = []\n"
        "    visit = visited.add\n>>>>>>> REPLACE\n<<<<<<< SEARCH\n                visited.add(nxt)\n=======\n"
        "                visit(nxt)\n>>>>>>> REPLACE",
    ],
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeOpenAI(by_prompt=ANSWERS) as server:
        repo = Path(tmp) / "dedupe"
        shutil.copytree(HERE, repo, ignore=shutil.ignore_patterns("transcript.json", "__pycache__"))
        subprocess.run([str(Path(sys.executable).with_name("optimize")), str(repo), "--bench", "python bench.py",
                        "--model", "openai/hand-written-demo", "--api-base", server.base_url, "--no-cache",
                        "--candidates", "2", "--model-rounds", "2", "--record", str(HERE / "transcript.json"),
                        "--out", str(Path(tmp) / "out")], check=True)


if __name__ == "__main__":
    main()
