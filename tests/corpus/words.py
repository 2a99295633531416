"""Top-k words with a tie-breaking rule, where the captured data has ties."""
from . import Right, Wrong

TARGET = "most_common_words"

ORIGINAL = '''
    """Text statistics."""


    def most_common_words(text, k):
        """The k most frequent words of text (lowercased, split on whitespace) as
        (word, count) pairs, most frequent first; equal counts in alphabetical order.
        k <= 0 gives []."""
        counts = {}
        for word in text.lower().split():
            counts[word] = counts.get(word, 0) + 1
        out = []
        for _ in range(min(k, len(counts))):
            best = None
            for word, n in counts.items():
                if best is None or n > best[1] or (n == best[1] and word < best[0]):
                    best = (word, n)
            out.append(best)
            del counts[best[0]]
        return out
'''

TESTS = '''
    from lib.words import most_common_words


    def test_top_two():
        assert most_common_words("the cat and the hat and the bat", 2) == [("the", 3), ("and", 2)]


    def test_top_word_of_a_tie():
        word, count = most_common_words("to be or not to be", 1)[0]
        assert word in ("to", "be") and count == 2
'''

WRONG = [
    Wrong('''
def most_common_words(text, k):
    return Counter(text.lower().split()).most_common(k)
''', "returns a different value", "Counter.most_common breaks ties by first occurrence, not alphabetically",
          ("from collections import Counter",)),
    Wrong('''
def most_common_words(text, k):
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    return ranked[:max(k, 0)]
''', "returns a different value", "tie-breaking dropped: equal counts stay in first-seen order"),
]

RIGHT = [
    Right('''
def most_common_words(text, k):
    counts = Counter(text.lower().split())
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:max(k, 0)]
''', "Counter counts in C; one sort instead of k scans", ("from collections import Counter",)),
    Right('''
def most_common_words(text, k):
    counts = Counter(text.lower().split())
    return heapq.nsmallest(k, counts.items(), key=lambda kv: (-kv[1], kv[0]))
''', "heapq.nsmallest: O(n log k)", ("import heapq", "from collections import Counter")),
]
