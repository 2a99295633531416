def html5_serialize_simple_color(simple_color):
    red, green, blue = simple_color
    return "#%02x%02x%02x" % (red, green, blue)
