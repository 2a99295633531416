def match(self, match_expr):
    prefix = match_expr[:2]
    if prefix in (">=", "<=", "==", "!="):
        match_version = match_expr[2:]
    elif prefix and prefix[0] in (">", "<"):
        prefix = prefix[0]
        match_version = match_expr[1:]
    else:
        raise ValueError("invalid match expression: %r" % match_expr)
    cmp_res = self.compare(match_version)
    if prefix == ">":
        return cmp_res == 1
    if prefix == "<":
        return cmp_res == -1
    if prefix == "==":
        return cmp_res == 0
    if prefix == "!=":
        return cmp_res != 0
    if prefix == ">=":
        return cmp_res >= 0
    return cmp_res <= 0
