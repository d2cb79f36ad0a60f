# experiments/lrt_runs.sh — what the shell experiment drivers share (the shell side of lrt_runs.py). Source it from
# experiments/<name>/run.sh with `here` set to that folder; it sets up the machine (tools/setup.sh), builds the CLI,
# changes to the repository root and defines:
#   $root, $lrt          the repository root and the Release `lrt` binary;
#   latest RUN           the newest folder of run name RUN under $out (set $out first);
#   done_ok RUN          whether that folder finished with status success (so a driver can be stopped and restarted).
root="$(cd "$here/../.." && pwd)"
cd "$root"
tools/setup.sh >/dev/null
dotnet build src/LowRankTrainer.Cli -c Release -v q -nologo >/dev/null
lrt="$root/src/LowRankTrainer.Cli/bin/Release/net10.0/lrt"

latest() { ls -d "$out/$1"/*/ 2>/dev/null | sort | tail -n 1; }
done_ok() { [ -n "$(latest "$1")" ] && grep -q '"status": "success"' "$(latest "$1")summary.json" 2>/dev/null; }
