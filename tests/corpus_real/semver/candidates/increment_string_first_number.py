@staticmethod
def _increment_string(string):
    match = re.search(r"\d+", string)
    if match:
        next_ = str(int(match.group()) + 1)
        start, end = match.span()
        string = string[: max(end - len(next_), start)] + next_ + string[end:]
    return string
