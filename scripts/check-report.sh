#!/usr/bin/env bash
# Opens an ember report.html in headless Chromium, the way a person would open it in a
# browser, checks what rendered, and takes a full-page screenshot to look at.
#
# Usage: scripts/check-report.sh REPORT_HTML [SCREENSHOT_PNG]
#   SCREENSHOT_PNG defaults to screenshot.png next to the report.
#
# The page is copied alone into an empty folder first, so it must be self-contained. Fails
# (exit 1) when the page raises an error, an image does not load or decode, a chart renders
# without a size, or the page holds fewer images, charts or sections than its HTML source
# (or fewer than a report has). Exit 77 (skip) when Chromium is not installed
# (Debian: apt-get install chromium).
set -uo pipefail

report=${1:?usage: check-report.sh REPORT_HTML [SCREENSHOT_PNG]}
screenshot=${2:-$(dirname "$report")/screenshot.png}
[[ -f $report ]] || { echo "check-report: no such file: $report" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || true)
[[ -n $browser ]] || { echo "check-report: chromium not installed; skipping (apt-get install chromium)" >&2; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --disable-extensions
       --disable-background-networking --disable-sync --disable-default-apps --mute-audio
       --user-data-dir="$work/profile" --virtual-time-budget=10000)

# The checker runs in the page after it loaded and writes its verdict into the DOM, which
# --dump-dom prints.
cat >"$work/check.js" <<'EOF'
<script>
window.emberErrors = [];
window.addEventListener('error', e => window.emberErrors.push(String(e.message || e.type)), true);
window.addEventListener('load', () => {
  const problems = window.emberErrors.map(m => 'page error: ' + m);
  const images = Array.from(document.images);
  for (const img of images)
    if (!img.complete || img.naturalWidth === 0) problems.push('image "' + img.alt + '" did not load');
  const charts = Array.from(document.querySelectorAll('svg'));
  charts.forEach((svg, i) => {
    const r = svg.getBoundingClientRect();
    const title = svg.querySelector('title, text');
    if (r.width < 100 || r.height < 100) problems.push('chart ' + i + ' renders ' + r.width + 'x' + r.height);
    if (!title) problems.push('chart ' + i + ' has no text');
  });
  const out = document.createElement('pre');
  out.id = 'ember-report-check';
  out.textContent = (problems.length ? 'FAIL ' + problems.join('; ') : 'OK') + ' | images=' + images.length +
      ' charts=' + charts.length + ' sections=' + document.querySelectorAll('section').length +
      ' tables=' + document.querySelectorAll('table').length + ' height=' + document.documentElement.scrollHeight;
  document.body.appendChild(out);
});
</script>
EOF
# Inject the checker right after <head> so that its error listener comes first.
awk -v checker="$work/check.js" '
  { print }
  /<head>/ && !done { while ((getline line < checker) > 0) print line; done = 1 }
' "$report" >"$work/page.html"

"$browser" "${flags[@]}" --dump-dom "file://$work/page.html" >"$work/dom.html" 2>"$work/browser.log"
verdict=$(sed -n 's/.*<pre id="ember-report-check">\([^<]*\)<\/pre>.*/\1/p' "$work/dom.html")
if [[ -z $verdict ]]; then
  echo "check-report: the page did not finish loading in Chromium; browser log:" >&2
  tail -5 "$work/browser.log" >&2
  exit 1
fi
echo "check-report: $verdict"

count() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$verdict"; }
failures=0
fail() {
  echo "check-report: FAIL: $*" >&2
  failures=$((failures + 1))
}
[[ $verdict == OK* ]] || fail "in the page: ${verdict#FAIL }"
# Everything in the source rendered; and a report has its parts.
source_images=$(grep -o '<img ' "$report" | wc -l)
source_charts=$(grep -o '<svg ' "$report" | wc -l)
[[ $(count images) -eq $source_images ]] || fail "$(count images) images rendered, the HTML has $source_images"
[[ $(count charts) -eq $source_charts ]] || fail "$(count charts) charts rendered, the HTML has $source_charts"
[[ $(count images) -ge 1 ]] || fail "no images (the sample predictions grid is missing)"
[[ $(count charts) -ge 3 ]] || fail "$(count charts) charts, expected at least the confusion matrix and 2 ROC plots"
[[ $(count sections) -ge 6 ]] || fail "$(count sections) sections, expected at least 6"
[[ $(count tables) -ge 1 ]] || fail "no metrics table"

height=$(count height)
height=$((height > 16000 ? 16000 : height < 600 ? 600 : height))
"$browser" "${flags[@]}" --window-size="1100,$height" --screenshot="$work/shot.png" "file://$work/page.html" \
  >/dev/null 2>>"$work/browser.log"
if [[ -s $work/shot.png ]]; then
  mkdir -p "$(dirname "$screenshot")" && mv "$work/shot.png" "$screenshot.tmp" && mv "$screenshot.tmp" "$screenshot"
  echo "check-report: screenshot $screenshot (1100 x $height)"
else
  fail "Chromium wrote no screenshot"
fi
[[ $failures -eq 0 ]]
