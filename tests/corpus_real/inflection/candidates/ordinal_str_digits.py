def ordinal(number):
    s = str(number)
    if s[-2:-1] == "1":
        return "th"
    return {"1": "st", "2": "nd", "3": "rd"}.get(s[-1:], "th")
