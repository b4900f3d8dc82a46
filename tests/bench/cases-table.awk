# tests/bench/cases-table.awk - the Markdown table of tests/bench/io-mixed.sh
# and tests/bench/linux-io-mixed.sh: their BENCH lines ("BENCH mode=M
# policy=P key=value ...", one a run) grouped by (mode, policy) in order of
# first appearance, each column the median [min-max] of its key over the
# group's runs (the value alone when every run agrees; "-" when missing).
#   awk -v columns="received p99_ms ..." -v headings="received | p99 ms | ..." \
#       -f tests/bench/cases-table.awk bench.txt
function field(line, key,   n, i, kv) { n = split(line, kv, " "); for (i = 1; i <= n; i++) if (index(kv[i], key "=") == 1) return substr(kv[i], length(key) + 2); return "-" }
function summary(list,   n, a, i, j, t) { n = split(list, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? (a[1] == a[n] ? a[1] : sprintf("%s [%s-%s]", a[int((n + 1) / 2)], a[1], a[n])) : "-" }
BEGIN { count_columns = split(columns, name, " ") }
/^BENCH/ { key = field($0, "mode") " " field($0, "policy"); if (!(key in seen)) { order[++count] = key; seen[key] = 1 }
	for (m = 1; m <= count_columns; m++) v[key, m] = v[key, m] " " field($0, name[m]) }
END { print "| case | policy | " headings " |"
	rule = "| --- | --- |"; for (m = 1; m <= count_columns; m++) rule = rule " --- |"; print rule
	for (i = 1; i <= count; i++) { split(order[i], kp, " "); line = "| " kp[1] " | " kp[2]; for (m = 1; m <= count_columns; m++) line = line " | " summary(v[order[i], m]); print line " |" } }
