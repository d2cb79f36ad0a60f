"""What the Python experiment drivers share: find the `lrt` binary, read a run's newest successful summary.json,
and train a run unless it already succeeded (so a driver can be stopped and started again). Standard library only.

    sys.path.insert(0, os.path.dirname(HERE)); import lrt_runs
    summary = lrt_runs.train(OUT, os.path.join(HERE, "mrl.yaml"), "mrl_s1", ["train.seed=1", ...])
"""
import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lrt():
    """$LRT, else the Release build of the CLI; exits with a hint when it is missing."""
    exe = os.environ.get("LRT") or os.path.join(ROOT, "src", "LowRankTrainer.Cli", "bin", "Release", "net10.0", "lrt")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not found: run `dotnet build -c Release` first or set LRT")
    return exe


def latest_summary(out, run_name):
    """The newest summary.json under out/run_name/<timestamp>/ whose status is success, or None."""
    for path in reversed(sorted(glob.glob(os.path.join(out, run_name, "*", "summary.json")))):
        with open(path, encoding="utf-8") as f:
            summary = json.load(f)
        if summary.get("status") == "success":
            return summary
    return None


def train(out, config, run_name, overrides):
    """`lrt train config train.run_name=run_name train.output_dir=out *overrides` unless it already succeeded."""
    summary = latest_summary(out, run_name)
    if summary is None:
        cmd = [lrt(), "train", config, f"train.run_name={run_name}", f"train.output_dir={out}", *overrides]
        print("+", " ".join(cmd[1:]), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        summary = latest_summary(out, run_name)
    return summary
