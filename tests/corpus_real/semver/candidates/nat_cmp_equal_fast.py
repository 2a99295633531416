def _nat_cmp(a, b):
    a, b = a or "", b or ""
    if a == b:
        return 0

    def convert(text):
        return int(text) if re.match("^[0-9]+$", text) else text

    def cmp_prerelease_tag(a, b):
        if isinstance(a, int) and isinstance(b, int):
            return cmp(a, b)
        elif isinstance(a, int):
            return -1
        elif isinstance(b, int):
            return 1
        else:
            return cmp(a, b)

    a_parts = [convert(c) for c in a.split(".")]
    b_parts = [convert(c) for c in b.split(".")]
    for sub_a, sub_b in zip(a_parts, b_parts):
        cmp_result = cmp_prerelease_tag(sub_a, sub_b)
        if cmp_result != 0:
            return cmp_result
    return cmp(len(a), len(b))
