# CPU figures of wrk_run results (perf/lib/wrk.sh): statistics over runs and what limited a run.
# Used by perf/http-bench and perf/peer-bench: jq -L "$PERF_DIR/lib" 'include "cpu"; ...'.

# F over an array of runs, nulls dropped, sorted, then PICK (e.g. .[0] for the minimum); null if none.
def stat(f; pick): (map(f) | map(select(. != null)) | sort) as $s
  | if ($s | length) == 0 then null else ($s | pick) end;
def median_pick: .[(length - 1) / 2 | floor];

# Over an array of runs: the proxy's CPU share and each CPU's busy fraction, each picked separately.
def cpu_figures(pick): . as $runs
  | {cpu_util: stat(.cpu_util; pick),
     cpu_busy: ([$runs[].cpu_busy // {} | keys[]] | unique
                | map(. as $c | {($c): ($runs | stat(.cpu_busy[$c]; pick))}) | add)};

# {runs, median}: the median, with the CPU medians taken from the runs when it lacks them
# (results collected before the median held them).
def cpu_median: if .median.cpu_busy == null then .median + (.runs | cpu_figures(median_pick)) else .median end;

def busy(b): if b == null then "-" else ((b * 100 | round | tostring) + "%") end;

# A taskset CPU list ("0", "1-3", "0,4-7") as the keys of cpu_busy ("0", "4", "5", ...).
def cpu_keys: tostring | split(",")
  | map(if test("-") then (split("-") | map(tonumber) as [$a, $b] | range($a; $b + 1) | tostring)
        else . end);
# "CPU 0" or "CPUs 0,2-3".
def cpus_label($list): if ($list | cpu_keys | length) == 1 then "CPU \($list)" else "CPUs \($list)" end;
# Of a run's CPU figures: the mean busy fraction of the CPUs in taskset list $list; null if none.
def busy_of($list): [.cpu_busy[($list | cpu_keys)[]] // empty]
  | if length == 0 then null else add / length end;

# Of one run: the CPU seconds the CPUs in taskset list $list spent busy (busy fraction × duration,
# whoever used them); null without CPU figures.
def cpu_s_of($list): .seconds as $s | [.cpu_busy[($list | cpu_keys)[]] // empty]
  | if length == 0 then null else add * $s end;

# What limited a run, from its CPU figures (a median or one run): $lc lists the load side's CPUs,
# $pc the proxy's. A side is saturated when its CPUs are ≥ 95% busy on average, the proxy
# process when it used ≥ 90% of its CPUs. Without a proxy process (direct), only the load side is
# judged. limit_kind is the short form (proxy, load, both, shared, neither, -), limit the sentence.
def limit_kind($lc; $pc):
  ((busy_of($lc) // 0) >= 0.95) as $load
  | if .cpu_busy == null then "-"
    elif .cpu_util == null then (if $load then "load" else "neither" end)
    elif .cpu_util >= 0.9 * ($pc | cpu_keys | length) then (if $load then "both" else "proxy" end)
    elif (busy_of($pc) // 0) >= 0.95 then "shared"
    elif $load then "load"
    else "neither" end;
def limit($lc; $pc):
  limit_kind($lc; $pc) as $k
  | if $k == "both" then "both saturated (the proxy and the load side)"
    elif $k == "proxy" then "the proxy (its CPU saturated)"
    elif $k == "shared" then "\(cpus_label($pc)) shared: the proxy got \(busy(.cpu_util)) of it, other work the rest"
    elif $k == "load" then "the load side (\(cpus_label($lc)) saturated)"
    elif $k == "neither" then "neither side saturated (latency-bound)"
    else "-" end;
