"""catalog_demo: a small log, order and inventory toolkit with one slow spot per function.

Each function is correct and deterministic but written in a common slow form that one
pattern of the optimizer's offline catalog targets (see the README for the list).
"""
