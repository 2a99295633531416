"""A workload: normalising the colours of a stylesheet and a form's colour inputs."""
import webcolors

HEXES = ["#fff", "#000", "#FFAA00", "#0f0", "#123456", "#ABC", "#daa520", "#e0e0e0", "#C0FFEE", "#f0f"]
PERCENTS = [("100%", "50%", "0%"), ("12.5%", "25%", "75%"), ("-5%", "110%", "33%")]
INPUTS = ["#ffffff", "#000080", "#daa520", "#C0FFEE", "#123abc"]


def main():
    out = []
    for _ in range(200):
        for h in HEXES:
            out.append(webcolors.normalize_hex(h))
            out.append(webcolors.hex_to_rgb(h))
        for p in PERCENTS:
            out.append(webcolors.normalize_percent_triplet(p))
            out.append(webcolors.rgb_percent_to_hex(p))
        for s in INPUTS:
            color = webcolors.html5_parse_simple_color(s)
            out.append(webcolors.html5_serialize_simple_color(color))
    return len(out)


if __name__ == "__main__":
    print(main())
