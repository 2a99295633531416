def html5_parse_simple_color(input):
    if not isinstance(input, str) or len(input) != 7:
        raise ValueError(
            "An HTML5 simple color must be a Unicode string "
            "exactly seven characters long."
        )
    if input[0] != "#":
        raise ValueError(
            "An HTML5 simple color must begin with the " "character '#' (U+0023)."
        )
    try:
        value = int(input[1:], 16)
    except ValueError:
        raise ValueError(
            "An HTML5 simple color must contain exactly six ASCII hex digits."
        ) from None
    return HTML5SimpleColor(value >> 16, (value >> 8) & 0xFF, value & 0xFF)
