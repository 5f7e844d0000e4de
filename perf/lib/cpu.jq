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

# What limited a run, from its CPU figures (a median or one run): $lc is the load side's CPU, $pc
# the proxy's. Without a proxy process (direct), only the load side is judged. limit_kind is the
# short form (proxy, load, both, shared, neither, -), limit the sentence.
def limit_kind($lc; $pc):
  ((.cpu_busy[$lc] // 0) >= 0.95) as $load
  | if .cpu_busy == null then "-"
    elif .cpu_util == null then (if $load then "load" else "neither" end)
    elif .cpu_util >= 0.9 then (if $load then "both" else "proxy" end)
    elif (.cpu_busy[$pc] // 0) >= 0.95 then "shared"
    elif $load then "load"
    else "neither" end;
def limit($lc; $pc):
  limit_kind($lc; $pc) as $k
  | if $k == "both" then "both CPUs saturated (the proxy and the load side)"
    elif $k == "proxy" then "the proxy (its CPU saturated)"
    elif $k == "shared" then "CPU \($pc) shared: the proxy got \(busy(.cpu_util)) of it, other work the rest"
    elif $k == "load" then "the load side (CPU \($lc) saturated)"
    elif $k == "neither" then "neither CPU saturated (latency-bound)"
    else "-" end;
