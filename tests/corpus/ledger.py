"""A method updating self."""
from . import Right, Wrong

TARGET = "Ledger.post"

ORIGINAL = '''
    """Bookkeeping."""


    class Ledger:
        def __init__(self, opening=0):
            self.opening = opening
            self.entries = []
            self.balance = opening
            self.rejected = 0

        def post(self, amounts):
            """Post the amounts in order. One that would overdraw the ledger is
            rejected: counted in self.rejected, not posted. Returns the balance."""
            for amount in amounts:
                if self.balance + amount < 0:
                    self.rejected += 1
                    continue
                self.entries.append(amount)
                self.balance = self.opening + sum(self.entries)
            return self.balance
'''

TESTS = '''
    from lib.ledger import Ledger


    def test_post_deposits_and_withdrawals():
        book = Ledger(100)
        assert book.post([50, -30, 20]) == 140


    def test_post_twice():
        book = Ledger()
        book.post([10, -5])
        assert book.post([7]) == 12
'''

WRONG = [
    Wrong('''
def post(self, amounts):
    for amount in amounts:
        if self.balance + amount < 0:
            continue
        self.entries.append(amount)
        self.balance += amount
    return self.balance
''', "leaves self in a different state", "rejections are no longer counted"),
    Wrong('''
def post(self, amounts):
    for amount in amounts:
        if self.balance + amount < 0:
            self.rejected += 1
        else:
            self.balance += amount
    return self.balance
''', "leaves self in a different state", "the entries are no longer recorded"),
    Wrong('''
def post(self, amounts):
    total = sum(amounts)
    if self.balance + total >= 0:       # fast path: the batch cannot overdraw
        self.entries.extend(amounts)
        self.balance += total
        return self.balance
    for amount in amounts:
        if self.balance + amount < 0:
            self.rejected += 1
            continue
        self.entries.append(amount)
        self.balance += amount
    return self.balance
''', ("leaves self in a different state", "returns a different value"),   # whichever call comes first
          "batch fast path: sums the amounts first, which also exhausts a one-shot iterable"),
]

RIGHT = [
    Right('''
def post(self, amounts):
    posted = sum(self.entries)
    for amount in amounts:
        if self.balance + amount < 0:
            self.rejected += 1
            continue
        self.entries.append(amount)
        posted += amount
        self.balance = self.opening + posted
    return self.balance
''', "keeps a running sum of the entries instead of re-summing them per amount"),
]
