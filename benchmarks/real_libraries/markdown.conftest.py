# Added for the benchmark: run the test suite under pytest from the repository root.
# tests/test_legacy.py turns warnings into errors at import time, after which pytest's
# "cannot collect test class 'TestSuite'" collection warning (unittest.TestSuite imported
# into tests/test_syntax/extensions/test_md_in_html.py) aborts collection. TestSuite is
# not a test case; tell pytest so.
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
unittest.TestSuite.__test__ = False
