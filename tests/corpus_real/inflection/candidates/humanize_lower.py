def humanize(word):
    word = re.sub(r"_id$", "", word)
    word = word.replace('_', ' ').lower()
    word = re.sub(r"^\w", lambda m: m.group(0).upper(), word)
    return word
