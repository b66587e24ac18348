"""admin_metrics.py - reads sluiced's /metrics for tests/e2e/admin.sh.

  admin_metrics.py value URL NAME [LABEL=VALUE ...]   prints the sample's value (or "none")
  admin_metrics.py valid URL                          checks the text format 0.0.4
  admin_metrics.py labels URL                         prints every label value, one a line
  admin_metrics.py grafana URL FILE                   every metric a panel's PromQL names
                                                      is exposed by URL
"""
import json
import re
import sys
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def scrape(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        return ctype, r.read().decode()


def parse(text):
    """(samples {(name, labels tuple): value}, types {family: type}, errors [])"""
    samples, types, errors = {}, {}, []
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("# TYPE "):
            parts = line.split()
            types[parts[2]] = parts[3]
            continue
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append(f"line {n}: {line!r}")
            continue
        labels = []
        if m.group(3):
            rest = m.group(3)
            while rest:
                lm = LABEL.match(rest)
                if not lm:
                    errors.append(f"line {n}: bad labels {rest!r}")
                    break
                labels.append((lm.group(1), lm.group(2)))
                rest = rest[lm.end():]
        try:
            value = float(m.group(4))
        except ValueError:
            errors.append(f"line {n}: bad value {m.group(4)!r}")
            continue
        samples[(m.group(1), tuple(labels))] = value
    return samples, types, errors


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return name


def valid(url):
    ctype, text = scrape(url)
    samples, types, errors = parse(text)
    if not ctype.startswith("text/plain; version=0.0.4"):
        errors.append(f"Content-Type {ctype!r}")
    for (name, labels) in samples:
        if family_of(name, types) not in types:
            errors.append(f"{name}: no # TYPE")
    # Histograms: cumulative buckets, +Inf equal to _count.
    hist = {}
    for (name, labels), v in samples.items():
        if name.endswith("_bucket"):
            key = (name, tuple(l for l in labels if l[0] != "le"))
            le = dict(labels)["le"]
            hist.setdefault(key, []).append((float("inf") if le == "+Inf" else float(le), v))
    for (name, rest), buckets in hist.items():
        buckets.sort()
        counts = [v for _, v in buckets]
        if counts != sorted(counts):
            errors.append(f"{name}{rest}: buckets not cumulative")
        total = samples.get((name[: -len("_bucket")] + "_count", rest))
        if total != counts[-1]:
            errors.append(f"{name}{rest}: +Inf {counts[-1]} != _count {total}")
    if not samples:
        errors.append("no samples")
    print("\n".join(errors) if errors else f"{len(samples)} samples, {len(types)} families")
    return 1 if errors else 0


def value(url, name, want):
    _, text = scrape(url)
    samples, _, _ = parse(text)
    want = dict(w.split("=", 1) for w in want)
    for (n, labels), v in samples.items():
        if n == name and dict(labels) == want:
            print(f"{v:g}")
            return 0
    print("none")
    return 0


def labels(url):
    _, text = scrape(url)
    samples, _, _ = parse(text)
    for (_, ls) in samples:
        for _, v in ls:
            print(v)
    return 0


def grafana(url, path):
    _, text = scrape(url)
    samples, types, _ = parse(text)
    exposed = {family_of(n, types) for (n, _) in samples} | set(types)
    dash = json.load(open(path))
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("expr"), str):
                exprs.append(o["expr"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(dash)
    names = set()
    for e in exprs:
        names |= set(re.findall(r'\bsluice_[a-z0-9_]+', e))
    missing = sorted(n for n in names if family_of(n, types) not in exposed and n not in exposed)
    if not exprs or missing:
        print(f"{len(exprs)} queries; not exposed: {missing}")
        return 1
    print(f"{len(exprs)} queries name {len(names)} metrics, all exposed")
    return 0


if __name__ == "__main__":
    cmd, url = sys.argv[1], sys.argv[2]
    if cmd == "valid":
        sys.exit(valid(url))
    if cmd == "value":
        sys.exit(value(url, sys.argv[3], sys.argv[4:]))
    if cmd == "labels":
        sys.exit(labels(url))
    if cmd == "grafana":
        sys.exit(grafana(url, sys.argv[3]))
    sys.exit(2)
