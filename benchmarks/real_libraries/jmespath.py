"""Workload: query a batch of API-response documents with jmespath (compiled and ad-hoc expressions)."""
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import jmespath
from jmespath import functions

STATES = ["running", "stopped", "pending", "terminated"]
ZONES = ["us-east-1a", "us-east-1b", "eu-west-1a", "ap-south-1c"]


def make_reservation(rng, i):
    instances = []
    for j in range(rng.randint(1, 8)):
        instances.append({
            "InstanceId": "i-%08x" % rng.getrandbits(32),
            "State": {"Name": rng.choice(STATES), "Code": rng.randrange(100)},
            "Placement": {"AvailabilityZone": rng.choice(ZONES)},
            "CpuOptions": {"CoreCount": rng.choice([1, 2, 4, 8, 16])},
            "LaunchTime": "2023-%02d-%02dT%02d:00:00Z" % (rng.randint(1, 12), rng.randint(1, 28), rng.randrange(24)),
            "Tags": [{"Key": k, "Value": "%s-%d" % (k.lower(), rng.randrange(20))}
                     for k in rng.sample(["Name", "Env", "Team", "Owner", "Cost"], rng.randint(1, 4))],
            "BlockDeviceMappings": [{"DeviceName": "/dev/sd%s" % c, "Ebs": {"VolumeSize": rng.choice([8, 16, 100, 500])}}
                                    for c in "abc"[: rng.randint(1, 3)]],
        })
    return {"ReservationId": "r-%06d" % i, "OwnerId": str(rng.randrange(10**11)), "Instances": instances}


class CustomFunctions(functions.Functions):
    @functions.signature({"types": ["array"]})
    def _func_unique(self, arr):
        return sorted(set(arr))


EXPRESSIONS = [
    "Reservations[].Instances[].InstanceId",
    "Reservations[].Instances[?State.Name=='running'].InstanceId[]",
    "Reservations[].Instances[].Tags[?Key=='Name'].Value[]",
    "length(Reservations[].Instances[])",
    "sum(Reservations[].Instances[].CpuOptions.CoreCount)",
    "max_by(Reservations[].Instances[], &CpuOptions.CoreCount).InstanceId",
    "sort_by(Reservations[].Instances[], &LaunchTime)[:5].{id: InstanceId, t: LaunchTime}",
    "Reservations[].Instances[].{id: InstanceId, zone: Placement.AvailabilityZone, disks: BlockDeviceMappings[].Ebs.VolumeSize}",
    "Reservations[?length(Instances) > `4`].ReservationId",
    "Reservations[].Instances[?CpuOptions.CoreCount >= `8` && State.Name != 'terminated'][].InstanceId",
    "Reservations[*].Instances[*].State.Name | [] | length(@)",
    "Reservations[].Instances[].BlockDeviceMappings[].Ebs.VolumeSize | sum(@)",
    "Reservations[].Instances[] | [?contains(Placement.AvailabilityZone, 'east')] | length(@)",
    "Reservations[0:50:2].OwnerId",
    "join(',', Reservations[:20].ReservationId)",
    "Reservations[].Instances[].[InstanceId, State.Name] | [?[1]=='stopped'] | [*][0]",
    "Reservations[].Instances[].Tags[].Key | unique(@)",
]


def main():
    rng = random.Random(4242)
    pages = [{"Reservations": [make_reservation(rng, p * 40 + i) for i in range(40)]} for p in range(40)]
    options = jmespath.Options(custom_functions=CustomFunctions())
    compiled = [jmespath.compile(e) for e in EXPRESSIONS]
    digest = hashlib.sha256()
    for page in pages:
        for expr in compiled:
            digest.update(repr(expr.search(page, options=options)).encode())
    # Ad-hoc queries built at run time (each one lexed and parsed).
    for i in range(1500):
        zone = ZONES[i % len(ZONES)]
        n = i % 17
        expr = "Reservations[].Instances[?Placement.AvailabilityZone=='%s' && CpuOptions.CoreCount > `%d`].Tags[?Key=='Env'].Value[] | [:%d]" % (zone, n % 9, i % 300 + 1)
        digest.update(repr(jmespath.search(expr, pages[i % len(pages)])).encode())
    print("checksum", digest.hexdigest()[:16])


if __name__ == "__main__":
    main()
