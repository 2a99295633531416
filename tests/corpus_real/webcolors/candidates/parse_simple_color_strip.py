def html5_parse_simple_color(input):
    if not isinstance(input, str) or len(input) != 7:
        raise ValueError(
            "An HTML5 simple color must be a Unicode string "
            "exactly seven characters long."
        )
    if not input.startswith("#"):
        raise ValueError(
            "An HTML5 simple color must begin with the " "character '#' (U+0023)."
        )
    if input[1:].strip(string.hexdigits):
        raise ValueError(
            "An HTML5 simple color must contain exactly six ASCII hex digits."
        )
    return HTML5SimpleColor(
        int(input[1:3], 16), int(input[3:5], 16), int(input[5:7], 16)
    )
