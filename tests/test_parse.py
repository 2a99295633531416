"""parse_answer: from a model's free text to (definition, imports)."""
from __future__ import annotations

import pytest

from optimizer.propose.parse import ParseError, parse_answer

NEW = "def total(xs):\n    # sum is C-level\n    return sum(xs)\n"


def test_python_fence_with_prose_and_imports():
    answer = (
        "Here is a faster version:\n\n"
        "```python\nimport math\nfrom itertools import (\n    accumulate,\n)\n\n" + NEW + "```\n"
        "It avoids the Python-level loop."
    )
    source, imports = parse_answer(answer, "total")
    assert source == NEW                       # the comment inside survives
    assert imports == ("import math", "from itertools import (\n    accumulate,\n)")


@pytest.mark.parametrize("tag", ["py", "", "Python", "python3"])
def test_other_fence_tags(tag):
    assert parse_answer(f"```{tag}\n{NEW}```", "total") == (NEW, ())


def test_bare_code_without_fence():
    assert parse_answer("import math\n\n" + NEW, "total") == (NEW, ("import math",))


def test_decorators_are_kept():
    answer = "```python\nimport functools\n\n@functools.lru_cache(maxsize=None)\n@staticmethod\n" + NEW + "```"
    source, _ = parse_answer(answer, "total")
    assert source.startswith("@functools.lru_cache(maxsize=None)\n@staticmethod\ndef total(xs):")


def test_several_blocks_prefer_the_last_that_defines_the_target():
    answer = (
        "Original:\n```python\ndef total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n```\n"
        "Faster:\n```python\n" + NEW + "```\n"
        "Usage:\n```python\nprint(total([1, 2]))\n```\n"
        "```bash\npython -m timeit\n```\n"
    )
    assert parse_answer(answer, "total") == (NEW, ())


def test_truncated_last_block_loses_to_complete_one():
    answer = "```python\n" + NEW + "```\nAnd even faster:\n```python\ndef total(xs):\n    return"
    assert parse_answer(answer, "total") == (NEW, ())


def test_unclosed_fence_alone_is_used():
    assert parse_answer("```python\n" + NEW, "total") == (NEW, ())


def test_indented_method():
    answer = "```python\n    def area(self):\n        # cached\n        return self._w * self._h\n```"
    source, _ = parse_answer(answer, "area")
    assert source == "def area(self):\n    # cached\n    return self._w * self._h\n"


def test_method_inside_its_class_wrapper():
    answer = (
        "```python\nfrom math import prod\n\nclass Box:\n"
        "    def __init__(self, w, h):\n        self._w, self._h = w, h\n\n"
        "    @property\n    def area(self):\n        text = '''\nkeep\n'''\n"
        "        return prod((self._w, self._h))\n```"
    )
    source, imports = parse_answer(answer, "area")
    assert source == "@property\ndef area(self):\n    text = '''\nkeep\n'''\n    return prod((self._w, self._h))\n"
    assert imports == ("from math import prod",)


def test_async_def():
    answer = "```python\nasync def fetch(x):\n    return x\n```"
    assert parse_answer(answer, "fetch")[0] == "async def fetch(x):\n    return x\n"


def test_future_imports_are_dropped():
    answer = "```python\nfrom __future__ import annotations\nimport os\n" + NEW + "```"
    assert parse_answer(answer, "total")[1] == ("import os",)


def _reason(answer: str, name: str = "total") -> str:
    with pytest.raises(ParseError) as info:
        parse_answer(answer, name)
    return info.value.reason


def test_helpers_are_refused():
    answer = "```python\ndef _a(x):\n    return x\n\ndef _b(x):\n    return x\n\n" + NEW + "```"
    assert _reason(answer) == "answer defines other functions: _a, _b; only the target's definition can be replaced"


def test_module_level_names_are_refused():
    answer = "```python\n_TABLE = {}\n\n" + NEW + "```"
    assert "other top-level names: _TABLE" in _reason(answer)


@pytest.mark.parametrize("answer", ["", "junk", "I cannot help with that.", "Sorry, total is already optimal.",
                                    "```bash\nls\n```"])
def test_no_code(answer):
    assert _reason(answer) == "no code block"


def test_wrong_function():
    assert _reason("```python\ndef other(xs):\n    return 1\n```") == "no definition of total in the answer"


def test_bare_code_for_another_name():
    assert _reason("def other(xs):\n    return 1\n") == "no definition of total in the answer"


def test_bare_code_after_a_line_of_prose():
    assert parse_answer("Here you go:\n" + NEW, "total") == (NEW, ())


def test_bare_broken_definition_reports_syntax_error():
    assert _reason("def total(xs):\n    return sum(xs\n").startswith("syntax error on line 2:")


def test_syntax_error_reports_the_line():
    reason = _reason("```python\ndef total(xs):\n    return sum(xs\n\n```")
    assert reason.startswith("syntax error on line 2:"), reason


# --- SEARCH/REPLACE blocks and unified diffs, applied to the original definition ---------------

DEDUPE = (
    "def dedupe(items):\n"
    "    seen = []\n"
    "    out = []\n"
    "    for item in items:\n"
    "        if item not in seen:\n"
    "            seen.append(item)\n"
    "            out.append(item)\n"
    "    return out\n"
)
DEDUPE_SET = DEDUPE.replace("seen = []", "seen = set()").replace("seen.append", "seen.add")

SR_SET = (
    "<<<<<<< SEARCH\n    seen = []\n=======\n    seen = set()\n>>>>>>> REPLACE\n"
)
SR_ADD = (
    "<<<<<<< SEARCH\n            seen.append(item)\n=======\n            seen.add(item)\n>>>>>>> REPLACE\n"
)


def _edit_reason(answer: str, original: str | None = DEDUPE, name: str = "dedupe") -> str:
    with pytest.raises(ParseError) as info:
        parse_answer(answer, name, original)
    return info.value.reason


def test_original_is_optional_and_ignored_for_whole_functions():
    assert parse_answer("```python\n" + NEW + "```", "total", original="def total(xs):\n    return 0\n") == (NEW, ())


def test_two_search_replace_blocks_unfenced_with_prose():
    answer = "Use a set for membership:\n\n" + SR_SET + "\nand add to it:\n\n" + SR_ADD + "\nThat's all."
    assert parse_answer(answer, "dedupe", DEDUPE) == (DEDUPE_SET, ())


def test_search_replace_blocks_fenced():
    answer = "```python\n" + SR_SET + "```\nThen:\n```\n" + SR_ADD + "```\n"
    assert parse_answer(answer, "dedupe", DEDUPE) == (DEDUPE_SET, ())


def test_search_replace_tolerates_indentation_and_trailing_whitespace():
    # The model dropped the body's indentation and left trailing blanks; the REPLACE text
    # is re-indented by the same offset.
    answer = (
        "<<<<<<< SEARCH\nseen = []   \n=======\nseen = set()\n>>>>>>> REPLACE\n"
        "<<<<<<< SEARCH\nif item not in seen:\n    seen.append(item)  \n"
        "=======\nif item not in seen:\n    seen.add(item)\n>>>>>>> REPLACE\n"
    )
    assert parse_answer(answer, "dedupe", DEDUPE) == (DEDUPE_SET, ())


def test_search_replace_local_import_stays_in_the_body():
    answer = (
        "<<<<<<< SEARCH\ndef dedupe(items):\n=======\ndef dedupe(items):\n    import itertools\n"
        ">>>>>>> REPLACE"
    )
    source, imports = parse_answer(answer, "dedupe", DEDUPE)
    assert source == DEDUPE.replace("(items):\n", "(items):\n    import itertools\n") and imports == ()


def test_search_covering_the_def_line_may_add_module_imports():
    answer = (
        "<<<<<<< SEARCH\n@cache\ndef dedupe(items):\n    seen = []\n=======\n"
        "import itertools\nfrom functools import cache\n\n\n@cache\ndef dedupe(items):\n    seen = set()\n"
        ">>>>>>> REPLACE\n" + SR_ADD
    )
    source, imports = parse_answer(answer, "dedupe", "@cache\n" + DEDUPE)
    assert source == "@cache\n" + DEDUPE_SET
    assert imports == ("import itertools", "from functools import cache")


def test_search_block_that_matches_nowhere():
    answer = SR_SET + "<<<<<<< SEARCH\n        if item in seen:\n=======\n        pass\n>>>>>>> REPLACE\n"
    assert _edit_reason(answer) == "SEARCH block 2 does not match the original: if item in seen:"


@pytest.mark.parametrize("search", ["        return 0", "return 0"])   # exact and indentation-tolerant
def test_search_block_that_matches_several_places(search):
    original = "def clamp(x):\n    if x < 0:\n        return 0\n    if x > 9:\n        return 0\n    return x\n"
    answer = f"<<<<<<< SEARCH\n{search}\n=======\n        return 9\n>>>>>>> REPLACE\n"
    assert _edit_reason(answer, original, "clamp") == "SEARCH block 1 matches the original in several places"


@pytest.mark.parametrize("answer, reason", [
    (SR_SET, None),
    ("<<<<<<< SEARCH\n\n=======\n    x = 1\n>>>>>>> REPLACE\n", "SEARCH block 1 is empty"),
    ("<<<<<<< SEARCH\n    seen = []\n=======\n    seen = set(", "SEARCH/REPLACE block 1 is incomplete"),
    ("<<<<<<< SEARCH\n    seen = []\n>>>>>>> REPLACE\n", "SEARCH/REPLACE block 1 has no ======= line"),
])
def test_search_replace_errors(answer, reason):
    if reason is None:   # without the original there is nothing to apply the blocks to
        assert _edit_reason(answer, None) == "SEARCH/REPLACE needs the original"
    else:
        assert _edit_reason(answer) == reason


def test_search_replace_result_must_parse_and_keep_the_function():
    broken = "<<<<<<< SEARCH\n    seen = []\n=======\n    seen = set(\n>>>>>>> REPLACE\n"
    assert _edit_reason(broken).startswith("the edited function does not parse: ")
    assert _edit_reason(broken).endswith("(line 2)")
    renamed = "<<<<<<< SEARCH\ndef dedupe(items):\n=======\ndef unique(items):\n>>>>>>> REPLACE\n"
    assert _edit_reason(renamed) == "the edited code does not define dedupe"
    helper = "<<<<<<< SEARCH\ndef dedupe(items):\n=======\n_SEEN = set()\n\ndef dedupe(items):\n>>>>>>> REPLACE\n"
    assert "other top-level names: _SEEN" in _edit_reason(helper)


def test_fenced_diff_with_wrong_line_numbers():
    answer = (
        "Here is the patch:\n\n```diff\n--- a/util.py\n+++ b/util.py\n"
        "@@ -140,7 +140,7 @@ def dedupe(items):\n def dedupe(items):\n-    seen = []\n+    seen = set()\n"
        "     out = []\n     for item in items:\n"
        "@@ -3,3 +3,3 @@\n         if item not in seen:\n-            seen.append(item)\n+            seen.add(item)\n"
        "             out.append(item)\n```\nDone."
    )
    assert parse_answer(answer, "dedupe", DEDUPE) == (DEDUPE_SET, ())


FIND = (
    "def find(xs, x):\n    for i, v in enumerate(xs):\n        if v >= x:\n            return i\n"
    "    return len(xs)\n"
)


def test_bare_module_diff_adding_an_import_at_the_top():
    answer = (
        "Use bisect:\n\n--- a/search.py\n+++ b/search.py\n@@ -1,4 +1,5 @@\n import os\n+import bisect\n \n \n"
        "@@ -30,9 +31,6 @@ def helper():\n     return 1\n \n \n def find(xs, x):\n"
        "-    for i, v in enumerate(xs):\n-        if v >= x:\n-            return i\n-    return len(xs)\n"
        "+    return bisect.bisect_left(xs, x)\n\n\n def main():\n\nThis is O(log n).\n"
        "- fewer comparisons\n"
    )
    assert parse_answer(answer, "find", FIND) == ("def find(xs, x):\n    return bisect.bisect_left(xs, x)\n",
                                                 ("import bisect",))


def test_module_diff_of_a_method_reindents_and_keeps_decorators():
    original = "@property\ndef area(self):\n    return self._w * self._h\n"
    answer = (
        "```diff\n@@ -1,2 +1,3 @@\n import os\n+import functools\n"
        "@@ -10,7 +11,7 @@\n class Box:\n     def __init__(self, w, h):\n         self._w, self._h = w, h\n \n"
        "-    @property\n+    @functools.cached_property\n     def area(self):\n         return self._w * self._h\n```"
    )
    assert parse_answer(answer, "area", original) == (
        "@functools.cached_property\ndef area(self):\n    return self._w * self._h\n", ("import functools",))


def test_fenced_block_of_diff_lines_without_headers():
    answer = "```\n     for item in items:\n-        if item not in seen:\n+        if item not in set(seen):\n```"
    assert parse_answer(answer, "dedupe", DEDUPE)[0] == DEDUPE.replace("not in seen", "not in set(seen)")


@pytest.mark.parametrize("hunk", [
    # a hunk in another function
    "@@ -1,3 +1,3 @@\n def other(xs):\n-    return 1\n+    return 2\n",
    # a hunk whose context runs from another function into the target
    "@@ -1,5 +1,5 @@\n def other(xs):\n-    return 1\n+    return 2\n \n \n def find(xs, x):\n",
    # a module-level constant added at the top
    "@@ -1,2 +1,3 @@\n import os\n+_TABLE = {}\n",
    # a helper added right before the target
    "@@ -4,2 +4,5 @@\n+def _helper(x):\n+    return x\n+\n def find(xs, x):\n     for i, v in enumerate(xs):\n",
])
def test_diff_changing_code_outside_the_function(hunk):
    answer = "```diff\n--- a/search.py\n+++ b/search.py\n" + hunk + "```"
    assert _edit_reason(answer, FIND, "find") == "the diff changes code outside find"


def test_diff_errors():
    stale = "```diff\n@@ -1,3 +1,3 @@\n     for i, v in xs:\n-        if v > x:\n+        if v >= x:\n```"
    assert _edit_reason(stale, FIND, "find") == "diff hunk 1 does not match the original"
    assert _edit_reason(stale, None, "find") == "a diff needs the original"
    truncated = "```diff\n@@ -1,3 +1,3 @@\n def find(xs, x):\n-    for i, v in enumerate(xs):\n"
    assert _edit_reason(truncated, FIND, "find") == "the diff block is not closed (truncated answer?)"
    broken = "```diff\n def find(xs, x):\n-    for i, v in enumerate(xs):\n+    for i, v in enumerate(xs\n```"
    assert _edit_reason(broken, FIND, "find").startswith("the edited function does not parse: ")


def test_diff_without_original_falls_back_to_a_whole_function_sent_alongside():
    answer = "```diff\n-    return 0\n+    return sum(xs)\n```\nWhole:\n```python\n" + NEW + "```"
    assert parse_answer(answer, "total") == (NEW, ())


def test_mangled_answers_raise_only_parse_error():
    import random

    rng = random.Random(20240611)
    valid = [
        ("Use a set:\n" + SR_SET + SR_ADD, "dedupe", DEDUPE),
        ("```python\n" + SR_SET + "```\n```\n" + SR_ADD + "```", "dedupe", DEDUPE),
        ("```diff\n--- a/u.py\n+++ b/u.py\n@@ -1,3 +1,3 @@\n def dedupe(items):\n-    seen = []\n+    seen = set()\n"
         "     out = []\n```", "dedupe", DEDUPE),
        ("--- a/s.py\n+++ b/s.py\n@@ -1,2 +1,3 @@\n import os\n+import bisect\n \n@@ -9,4 +10,2 @@\n def find(xs, x):\n"
         "-    for i, v in enumerate(xs):\n-        if v >= x:\n-            return i\n-    return len(xs)\n"
         "+    return bisect.bisect_left(xs, x)\n", "find", FIND),
        ("Faster:\n```python\nimport math\n\n" + NEW + "```\nDone.", "total", None),
        ("class Box:\n    @property\n    def area(self):\n        return self._w * self._h\n", "area", None),
    ]
    alphabet = "\x00\ud800\t\n ()[]:+-@=<>`'\"#\\é€𝔘" + "abcdef"

    def mangle(text: str, name: str) -> str:
        lines = text.splitlines(keepends=True)
        kind = rng.randrange(6)
        if kind == 0:                                   # a random slice
            a, b = sorted(rng.randrange(len(text) + 1) for _ in range(2))
            return text[a:b]
        if kind == 1:                                   # lines shuffled
            rng.shuffle(lines)
            return "".join(lines)
        if kind == 2:                                   # lines dropped or duplicated
            return "".join(ln * rng.choice([0, 1, 1, 2]) for ln in lines)
        if kind == 3:                                   # random characters spliced in
            for _ in range(rng.randint(1, 8)):
                at = rng.randrange(len(text) + 1)
                text = text[:at] + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 4))) + text[at:]
            return text
        if kind == 4:                                   # random unicode only
            return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 60)))
        deep = "-" * rng.choice([3000, 20000]) + "x" if rng.random() < 0.5 else "(" * 500
        return f"```python\ndef {name}(xs):\n    return {deep}\n```"   # too deep for the parser

    outcomes = {"ok": 0, "error": 0}
    for _ in range(200):
        answer, name, original = rng.choice(valid)
        if original is None and rng.random() < 0.5:
            original = DEDUPE
        try:
            source, imports = parse_answer(mangle(answer, name), name, original)
        except ParseError as exc:
            assert exc.reason and "\n" not in exc.reason.strip()
            outcomes["error"] += 1
        else:
            assert isinstance(source, str) and all(isinstance(i, str) for i in imports)
            outcomes["ok"] += 1
    assert outcomes["ok"] and outcomes["error"]
