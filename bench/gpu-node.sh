#!/bin/bash
# The GPU-node figures of issue 3, for a machine with an NVIDIA GPU and no Node or checkout: only
# the x64 executable. `pilot probe --json` and `pilot check` there, how many nvidia-smi calls one
# probe makes, what GPU facts cost (the probe with the real nvidia-smi against the probe with a
# stand-in that fails at once, interleaved, against one nvidia-smi --query-gpu call), and a GPU
# job through `pilot exec` with the direct runner.
# Usage: bench/gpu-node.sh PILOT_EXECUTABLE OUT_DIR [RUNS]
# The lead ran it on a lent H100 machine; its output is bench/gpu-node-results.md.
set -u
P="$1"; OUT="$2"; RUNS="${3:-21}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu-node-log.txt") 2>&1
echo "== node"; uname -srm; grep -m1 PRETTY_NAME /etc/os-release; nproc; grep -m1 'model name' /proc/cpuinfo
echo "== nvidia"; nvidia-smi -L; head -1 /proc/driver/nvidia/version
echo "== version"; "$P" version
echo "== probe --json"; "$P" probe --json > "$OUT/probe.json"; echo "exit $?"; cat "$OUT/probe.json"
echo "== probe"; "$P" probe
echo "== check --json"; "$P" check --json > "$OUT/check.json"; echo "exit $?"; cat "$OUT/check.json"
real=$(command -v nvidia-smi)
shim=$(mktemp -d); stub=$(mktemp -d)
printf '#!/bin/sh\necho "$*" >> %s/calls\nexec %s "$@"\n' "$shim" "$real" > "$shim/nvidia-smi"
printf '#!/bin/sh\nexit 1\n' > "$stub/nvidia-smi"
chmod +x "$shim/nvidia-smi" "$stub/nvidia-smi"
PATH="$shim:$PATH" "$P" probe --json > /dev/null
echo "== nvidia-smi calls made by one probe: $(wc -l < "$shim/calls")"; cat "$shim/calls"
query='--query-gpu=index,name,uuid,memory.total,driver_version,compute_cap,pci.bus_id --format=csv,noheader,nounits'
us() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
for _ in 1 2 3; do "$P" probe --json >/dev/null; "$real" $query >/dev/null; done # warm the page cache
: > /tmp/t.probe; : > /tmp/t.stubbed; : > /tmp/t.smi; : > /tmp/t.version
for _ in $(seq 1 "$RUNS"); do
  us "$P" probe --json >> /tmp/t.probe
  PATH="$stub:$PATH" us "$P" probe --json >> /tmp/t.stubbed
  us "$real" $query >> /tmp/t.smi
  us "$P" version >> /tmp/t.version
done
median() { sort -n "$1" | sed -n "$(( (RUNS + 1) / 2 ))p"; }
{
  echo "runs: $RUNS interleaved, microseconds, median (min..max)"
  for f in probe stubbed smi version; do
    printf '%-8s %8s  (%s..%s)\n' "$f" "$(median /tmp/t.$f)" "$(sort -n /tmp/t.$f | head -1)" "$(sort -n /tmp/t.$f | tail -1)"
  done
  cost=$(( $(median /tmp/t.probe) - $(median /tmp/t.stubbed) ))
  echo "GPU facts cost: ${cost} µs (probe - stubbed) vs one nvidia-smi call $(median /tmp/t.smi) µs"
} | tee "$OUT/timing.txt"
echo "== a 4-core, 1-GPU job through pilot exec (direct runner)"
job=$(mktemp -d)
cat > "$job/gpu.json" <<'J'
{"Executable": "/bin/sh", "Arguments": "-c 'echo CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES; echo DIRAC_JOB_PROCESSORS=$DIRAC_JOB_PROCESSORS; nvidia-smi --query-gpu=index,name --format=csv,noheader'", "NumberOfGPUs": 1, "NumberOfProcessors": 4, "JobName": "gpu-check"}
J
(cd "$job" && "$P" exec --job gpu.json --runner direct -w "$job/work"); echo "exit $?"
cat "$job/work/jobs/0/std.out"
rm -rf "$shim" "$stub" "$job"
