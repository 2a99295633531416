def apnumber(value):
    if type(value) is not int:
        try:
            if not math.isfinite(float(value)):
                return _format_not_finite(float(value))
            value = int(value)
        except (TypeError, ValueError):
            return str(value)
    if not 0 <= value < 10:
        return str(value)
    return _(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")[value])
