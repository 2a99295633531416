# Added for the benchmark: make the repository's own copy of the library importable
# when the tests run from the repository root (the library is not installed).
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
