def humanize(word):
    word = re.sub(r"_id$", "", word)
    word = word.replace('_', ' ')
    if word.isascii():
        word = word.lower()
    else:
        word = re.sub(r"(?i)([a-z\d]*)", lambda m: m.group(1).lower(), word)
    word = re.sub(r"^\w", lambda m: m.group(0).upper(), word)
    return word
