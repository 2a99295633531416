def camelize(string, uppercase_first_letter=True):
    camel = "".join(part[:1].upper() + part[1:] for part in string.split("_"))
    if uppercase_first_letter:
        return camel
    return string[0].lower() + camel[1:]
