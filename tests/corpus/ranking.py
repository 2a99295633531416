"""Top-k with a tie-breaking rule."""
from . import Right, Wrong

TARGET = "top_k"

# The weak tests have no equal scores; the generated tie variants (every value the same) catch these.

ORIGINAL = '''
    """Leaderboards."""


    def top_k(scores: dict[str, int], k: int) -> list[str]:
        """The names of the k highest scores, best first; equal scores go to the
        alphabetically first name. k follows slicing rules (ranked[:k])."""
        ranked = []
        for name, score in scores.items():
            i = 0
            while i < len(ranked) and (ranked[i][1] > score or (ranked[i][1] == score and ranked[i][0] < name)):
                i += 1
            ranked.insert(i, (name, score))
        return [name for name, _ in ranked[:k]]
'''

TESTS = '''
    from lib.ranking import top_k


    def test_top_two():
        assert top_k({"ann": 5, "bob": 9, "cy": 7}, 2) == ["bob", "cy"]


    def test_top_one():
        assert top_k({"xavier": 1, "yolanda": 3, "zoe": 2}, 1) == ["yolanda"]
'''

WRONG = [
    Wrong('''
def top_k(scores: dict[str, int], k: int) -> list[str]:
    return sorted(scores, key=scores.get, reverse=True)[:k]
''', "returns a different value", "tie-breaking dropped: equal scores keep insertion order"),
    Wrong('''
def top_k(scores: dict[str, int], k: int) -> list[str]:
    ranked = sorted(scores.items(), key=lambda kv: (kv[1], kv[0]), reverse=True)
    return [name for name, _ in ranked[:k]]
''', "returns a different value", "ties go to the alphabetically last name"),
    Wrong('''
def top_k(scores: dict[str, int], k: int) -> list[str]:
    return heapq.nsmallest(k, scores, key=lambda name: (-scores[name], name))
''', "returns a different value", "heapq: a negative k gives [] instead of slicing", ("import heapq",)),
]

RIGHT = [
    Right('''
def top_k(scores: dict[str, int], k: int) -> list[str]:
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [name for name, _ in ranked[:k]]
''', "one O(n log n) sort instead of insertion into a list"),
    Right('''
def top_k(scores: dict[str, int], k: int) -> list[str]:
    return sorted(scores, key=lambda name: (-scores[name], name))[:k]
''', "sort the names directly"),
]
