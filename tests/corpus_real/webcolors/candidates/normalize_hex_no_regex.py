def normalize_hex(hex_value):
    digits = hex_value[1:]
    if (
        hex_value[:1] != "#"
        or len(digits) not in (3, 6)
        or not all(c in "0123456789abcdefABCDEF" for c in digits)
    ):
        raise ValueError(
            "'{}' is not a valid hexadecimal color value.".format(hex_value)
        )
    if len(digits) == 3:
        digits = digits[0] * 2 + digits[1] * 2 + digits[2] * 2
    return "#" + digits.lower()
