def _nat_cmp(a, b):
    def convert(text):
        return int(text) if re.match("^[0-9]+$", text) else text

    a_parts = [convert(c) for c in (a or "").split(".")]
    b_parts = [convert(c) for c in (b or "").split(".")]
    for sub_a, sub_b in zip(a_parts, b_parts):
        a_int, b_int = isinstance(sub_a, int), isinstance(sub_b, int)
        if a_int != b_int:
            return -1 if a_int else 1
        if sub_a != sub_b:
            return -1 if sub_a < sub_b else 1
    return cmp(len(a_parts), len(b_parts))
