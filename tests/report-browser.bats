#!/usr/bin/env bats
# ar-report's page in a real browser: headless Chromium renders the page
# of the demo's study (tests/fixtures/report/sgemm-cpu.jsonl, a history of
# kernels/sgemm/cpu.json), of a replay history and of the same under two
# objectives (its Pareto front), and every plot must
# have drawn its marks, not a blank frame:
#   - in the rendered DOM: a copy of the page with a test-only script
#     counts, in each figure, the elements of gnuplot's data groups
#     (fig-NAME-gnuplot_plot_N, their text left out) whose box is not
#     empty, and the box they span, which a key's sample alone would not
#     give (a line of no height, or one point);
#   - on screen: a copy styled to show the data groups alone is shot, and
#     each figure's box must hold pixels of another colour than its
#     background.
# And HTML Tidy finds no error in the page.  Skips where Chromium or
# Tidy is missing (`make deps` installs them).  A few seconds.

load helper

setup_file() {
	local d=$BATS_FILE_TMPDIR s
	export PATH="${AR_BIN:-$ROOT/bin}:$PATH"
	# The demo's study, at the size the fixture was measured at.
	ar-report -s "$ROOT/kernels/sgemm/cpu.json" -D M=256 -D N=256 -D K=256 -D MAXT=2 \
	    -o "$d/sgemm.html" "$FIX/report/sgemm-cpu.jsonl"
	# A replay study: a random search with two seeds beside the rounds of
	# bo, and failures among them.
	synth_study "$d"
	s=$d/s.json
	for seed in 1 2; do
		ar-propose -s "$s" -n 32 --strategy random --seed "$seed" |
		    ar-bench -s "$s" | ar-score -s "$s" >"$d/random$seed.jsonl"
	done
	: >"$d/bo.jsonl"
	for r in 1 2 3 4; do
		ar-propose -s "$s" -H "$d/bo.jsonl" -n 8 --strategy bo --seed 1 \
		    --round "$r" | ar-bench -s "$s" | ar-score -s "$s" >"$d/r.jsonl"
		cat "$d/r.jsonl" >>"$d/bo.jsonl"
	done
	ar-report -s "$s" -o "$d/replay.html" random="$d/random1.jsonl" \
	    random="$d/random2.jsonl" bo="$d/bo.jsonl"
	# The same measurements under two objectives: the Pareto section.
	synth_study "$d" two.json '"objectives": ["minimize time_s", "maximize params.bx"]'
	s=$d/two.json
	cat "$d/random1.jsonl" "$d/bo.jsonl" | ar-score -s "$s" >"$d/two.jsonl"
	ar-report -s "$s" -o "$d/pareto.html" "$d/two.jsonl"
}

setup() {
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# A Python that has PIL (python3-pil): Debian's, before any other.
pil_python() {
	local p
	for p in /usr/bin/python3 python3; do
		if "$p" -c 'import PIL' 2>/dev/null; then
			command -v "$p"
			return 0
		fi
	done
	return 1
}

# chrome ARGS...: headless Chromium with a profile of the test's own.
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
	    --user-data-dir="$T/profile" --hide-scrollbars --window-size=1280,"${HEIGHT:-900}" \
	    --virtual-time-budget=3000 "$@" 2>>"$T/chrome.log"
}

# The test-only script: for each figure, "ID COUNT W H X Y BW BH", the
# elements drawn in its data groups, the width and height they span (in
# the svg's units), and the figure's box on the page; then the page's
# height.  Written into the DOM, which --dump-dom prints.
SCRIPT='<script>
(function () {
	var out = [];
	document.querySelectorAll("figure.plot").forEach(function (f) {
		var n = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
		f.querySelectorAll("g[id^=\"" + f.id + "-gnuplot_plot_\"] *").forEach(function (e) {
			if (!e.getBBox || e.closest("text"))
				return;
			var tag = e.tagName.toLowerCase();
			if (tag === "g" || tag === "title" || tag === "desc")
				return;
			var b = e.getBBox();
			if (b.width <= 0 && b.height <= 0)
				return;
			n++;
			x0 = Math.min(x0, b.x); y0 = Math.min(y0, b.y);
			x1 = Math.max(x1, b.x + b.width); y1 = Math.max(y1, b.y + b.height);
		});
		var r = f.getBoundingClientRect();
		out.push([f.id, n, n ? (x1 - x0).toFixed(1) : 0, n ? (y1 - y0).toFixed(1) : 0,
		    Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY),
		    Math.round(r.width), Math.round(r.height)].join(" "));
	});
	out.push("height " + document.documentElement.scrollHeight);
	var p = document.createElement("pre");
	p.id = "ar-test-counts";
	p.textContent = out.join("\n");
	document.body.appendChild(p);
})();
</script>'

# Shows gnuplot's data groups alone: everything else in the figures, and
# the text of the keys, hidden.
STYLE='<style>
figure.plot svg * { visibility: hidden; }
figure.plot g[id*="-gnuplot_plot_"] * { visibility: visible; }
figure.plot g[id*="-gnuplot_plot_"] text, figure.plot g[id*="-gnuplot_plot_"] text * { visibility: hidden; }
</style>'

# insert_before MARK TEXT: standard input with TEXT put before the first
# MARK.
insert_before() {
	printf '%s\n' "$2" >"$T/insert"
	awk -v m="$1" -v f="$T/insert" '
	    BEGIN { while ((getline l <f) > 0) t = t l "\n" }
	    !done && (i = index($0, m)) { $0 = substr($0, 1, i - 1) t substr($0, i); done = 1 }
	    { print }'
}

# counts PAGE: renders a copy of PAGE with the script and prints its lines.
counts() {
	local copy=$T/counted.html
	insert_before '</body>' "$SCRIPT" <"$1" >"$copy"
	grep -q 'ar-test-counts' "$copy" || fail "$1: no </body> to put the script before"
	chrome --dump-dom "file://$copy" >"$T/dom.html" || fail "chromium failed: $(tail -n 5 "$T/chrome.log")"
	sed -n '/<pre id="ar-test-counts">/,/<\/pre>/p' "$T/dom.html" |
	    sed 's/.*<pre id="ar-test-counts">//; s/<\/pre>.*//' | grep .
}

# assert_drawn PAGE: every figure of PAGE has drawn marks, in the DOM and
# on screen.
assert_drawn() {
	local page=$1 want got line id n w h x y bw bh height py
	want=$(grep -o '<figure class="plot" id="[^"]*"' "$page" | sed 's/.*id="//; s/"$//')
	[ -n "$want" ] || fail "$page: no figure"
	got=$(counts "$page") || fail "$page: no counts in the rendered DOM"
	[ "$(grep -v '^height ' <<<"$got" | awk '{ print $1 }')" = "$want" ] ||
	    fail "$page: figures rendered: $(awk '{ print $1 }' <<<"$got" | tr '\n' ' ')"
	while read -r id n w h x y bw bh; do
		[ "$id" != height ] || continue
		[ "$n" -gt 0 ] || fail "$page: $id: no mark drawn in its data groups"
		awk -v w="$w" -v h="$h" 'BEGIN { exit !(w > 0 && h > 0) }' ||
		    fail "$page: $id: its marks span ${w} x ${h}: a key alone, not data"
		[ "$bw" -gt 0 ] && [ "$bh" -gt 0 ] || fail "$page: $id: an empty box"
	done <<<"$got"
	# On screen, the data groups alone.
	py=$(pil_python) || skip "python3-pil is not installed (make deps)"
	height=$(sed -n 's/^height //p' <<<"$got")
	insert_before '</head>' "$STYLE" <"$page" >"$T/styled.html"
	grep -q 'visibility: hidden' "$T/styled.html" || fail "$page: no </head> to put the style before"
	HEIGHT=$((height + 20)) chrome --screenshot="$T/shot.png" "file://$T/styled.html" >/dev/null ||
	    fail "chromium failed: $(tail -n 5 "$T/chrome.log")"
	grep -v '^height ' <<<"$got" >"$T/boxes"
	run "$py" -c '
import sys
from PIL import Image
img = Image.open(sys.argv[1]).convert("RGB")
bad = 0
for line in sys.stdin:
    fid, n, w, h, x, y, bw, bh = line.split()
    x, y, bw, bh = int(x), int(y), int(bw), int(bh)
    box = img.crop((x, y, min(x + bw, img.width), min(y + bh, img.height)))
    colours = box.getcolors(maxcolors=1 << 20)
    bg = max(colours)[1]
    marks = sum(c for c, rgb in colours if max(abs(a - b) for a, b in zip(rgb, bg)) > 40)
    print(fid, marks)
    if marks == 0:
        bad += 1
sys.exit(bad)
' "$T/shot.png" <"$T/boxes"
	[ "$status" -eq 0 ] || fail "$page: a figure with no mark on screen: $output"
}

@test "Chromium draws every plot of the page of the demo's history" {
	command -v chromium >/dev/null || skip "chromium is not installed (make deps)"
	assert_drawn "$D/sgemm.html"
}

@test "Chromium draws every plot of the page of a replay history with seeds" {
	command -v chromium >/dev/null || skip "chromium is not installed (make deps)"
	assert_drawn "$D/replay.html"
}

@test "Chromium draws every plot of the page of a study of two objectives" {
	command -v chromium >/dev/null || skip "chromium is not installed (make deps)"
	grep -q 'id="fig-pareto"' "$D/pareto.html" || fail "no Pareto figure"
	assert_drawn "$D/pareto.html"
}

@test "HTML Tidy finds no error in the pages" {
	command -v tidy >/dev/null || skip "tidy is not installed (make deps)"
	local p
	for p in "$D/sgemm.html" "$D/replay.html" "$D/pareto.html"; do
		run tidy -errors -q "$p"
		# 0: clean, 1: warnings only, 2: errors.
		[ "$status" -lt 2 ] || fail "$p: $output"
		refute_output --partial 'Error:'
	done
}
