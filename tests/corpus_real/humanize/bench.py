"""A workload: a file listing and a leaderboard rendered for people."""
import humanize

SIZES = [0, 1, 512, 1000, 4096, 123456, 10**6, 3 * 10**7, 5 * 10**9, 7 * 10**12, -2048]


def main():
    out = []
    for _ in range(100):
        for size in SIZES:
            out.append(humanize.naturalsize(size))
            out.append(humanize.naturalsize(size, binary=True))
            out.append(humanize.naturalsize(size, gnu=True))
        for rank in range(1, 30):
            out.append(humanize.ordinal(rank))
            out.append(humanize.apnumber(rank % 12))
    return len(out)


if __name__ == "__main__":
    print(main())
