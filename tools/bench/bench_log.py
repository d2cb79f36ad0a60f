"""What the benchmark reports share: reading the legs' `key value` log lines and the warning when
the rounds of one figure disagree (the machine was busy). Each report classifies keys its own way."""
import os
import statistics

SPREAD_LIMIT = 1.10  # rounds more than 10% apart get a warning


def records(paths):
    """Yields (round name, key, value) for every `key value` line; the round is the file's stem (r1, d2, ...)."""
    for path in paths:
        rnd = os.path.basename(path).split(".")[0]
        with open(path, encoding="utf-8") as f:
            for line in f:
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    yield rnd, parts[0], parts[1]


def batch_values(value):
    """The comma-separated per-batch timings of a `*_batches` line."""
    return [float(v) for v in value.split(",")]


def median_of(value):
    return statistics.median(batch_values(value))


def spread_warning(name, per_round, advice="treat the ratios with care or rerun"):
    """A Markdown warning line when the per-round figures of `name` disagree by more than 10%, else None."""
    if len(per_round) > 1 and max(per_round) / min(per_round) > SPREAD_LIMIT:
        return (f"- **warning: the rounds of `{name}` disagree by {100 * (max(per_round) / min(per_round) - 1):.0f}% "
                f"(other load on the machine); {advice}**")
    return None
