def _normalize_percent_rgb(value):
    value = value.split("%")[0]
    percent = int(value) if value.lstrip("-").isdigit() else float(value)
    return "0%" if percent < 0 else "100%" if percent > 100 else "{}%".format(percent)
