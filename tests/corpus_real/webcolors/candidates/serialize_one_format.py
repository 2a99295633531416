def html5_serialize_simple_color(simple_color):
    red, green, blue = simple_color
    return f"#{red:02x}{green:02x}{blue:02x}"
