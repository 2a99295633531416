"""A workload: sorting release tags and checking constraints, as a release tool does."""
import semver

TAGS = ["1.0.0", "1.0.1", "1.1.0-alpha.1", "1.1.0-alpha.2", "1.1.0-beta", "1.1.0-rc.1", "1.1.0",
        "1.2.0-rc.1+build.5", "1.2.0", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0", "2.0.1", "2.1.0-dev.3"]
CONSTRAINTS = [">=1.1.0", "<2.0.0", "!=2.0.0", "==1.2.0", ">1.0.0", "<=2.0.0-rc.2"]


def main():
    versions = [semver.VersionInfo.parse(t) for t in TAGS]
    total = 0
    for _ in range(30):
        ordered = sorted(versions)
        total += len(ordered)
        for v in versions:
            for c in CONSTRAINTS:
                total += v.match(c)
            if v.prerelease:
                total += len(str(v.bump_prerelease()))
            total += len(str(v.bump_patch()))
    return total


if __name__ == "__main__":
    print(main())
