def normalize_hex(hex_value):
    match = HEX_COLOR_RE.match(hex_value)
    if match is None:
        raise ValueError(
            "'{}' is not a valid hexadecimal color value.".format(hex_value)
        )
    hex_digits = match.group(1)
    if len(hex_digits) == 3:
        hex_digits = hex_digits[0] * 2 + hex_digits[1] * 2 + hex_digits[2] * 2
    return "#" + hex_digits.lower()
