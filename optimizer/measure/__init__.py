"""Measure: time original and candidate side by side; decide with statistics."""
