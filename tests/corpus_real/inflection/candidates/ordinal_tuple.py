def ordinal(number):
    number = abs(int(number))
    if 11 <= number % 100 <= 13:
        return "th"
    return ("th", "st", "nd", "rd", "th", "th", "th", "th", "th", "th")[number % 10]
