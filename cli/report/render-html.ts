/**
 * `replay --report <file>`: one self-contained HTML page. Inline CSS, inline SVG charts and one small
 * inline script (the table filter, allowed by its hash in the page's Content-Security-Policy, which
 * also forbids every network load). Every trail value goes through `text()`: made one safe line
 * (inlineValue: controls, bidi and lone surrogates escaped, long values cut, access key ids masked),
 * then HTML-escaped. Nothing from the trail is ever placed inside the script, a style or an attribute
 * other than a quoted, escaped `title`.
 */
import { createHash } from 'node:crypto';
import { inlineValue } from '../../shared/alert/alert-text';
import { type DaySeries, formatRate, type ReplayReport, type Top } from './report-model';

const CELL_CHARS = 200;
/** Bars a chart draws at most; longer periods are drawn in buckets of several days. */
export const MAX_BARS = 120;
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text already made safe by inlineValue (or our own constant text). */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] as string);
}

/** A trail value as HTML text. */
function text(value: unknown, max = CELL_CHARS): string {
  return escapeHtml(inlineValue(value, max));
}

function n(count: number): string {
  return count.toLocaleString('en-US');
}

const FILTER_SCRIPT = `(function(){var q=document.getElementById('filter');var rows=document.querySelectorAll('#alerts tbody tr');var shown=document.getElementById('shown');q.addEventListener('input',function(){var t=q.value.toLowerCase();var c=0;for(var i=0;i<rows.length;i++){var m=t===''||rows[i].textContent.toLowerCase().indexOf(t)!==-1;rows[i].hidden=!m;if(m)c++;}shown.textContent=String(c);});})();`;
const SCRIPT_HASH = createHash('sha256').update(FILTER_SCRIPT).digest('base64');
const CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; form-action 'none'; base-uri 'none'`;

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.sub{color:#5b6475;margin:0 0 16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #dde2ea;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#5b6475;font-size:12px}
table{border-collapse:collapse;width:100%;margin:6px 0}th,td{border-bottom:1px solid #eceff4;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f5f7fa;font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(360px,1fr));gap:16px}.grid>section{min-width:0}.grid td{overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:12px;font-size:12px;margin:4px 0}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.note{color:#8a5a00;background:#fff7e0;border:1px solid #f0dca0;border-radius:4px;padding:6px 10px}
.ids{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;word-break:break-all}
.sev-critical,.sev-high{color:#b00020;font-weight:600}.sev-medium{color:#8a5a00}
input[type=search]{font:inherit;padding:4px 8px;width:320px;max-width:100%}
svg{width:100%;height:auto}svg text{font:11px system-ui,sans-serif;fill:#5b6475}
#alerts{font-size:13px}#alerts td{overflow-wrap:anywhere}#alerts td:nth-child(-n+3),#alerts td:nth-child(n+6):nth-child(-n+8){white-space:nowrap}.scroll{overflow-x:auto}
`;

function card(label: string, value: number, key: string): string {
  return `<div class="card"><b data-count="${key}">${n(value)}</b><span>${escapeHtml(label)}</span></div>`;
}

function colorOf(index: number): string {
  return PALETTE[index % PALETTE.length] as string;
}

function legend(rules: readonly string[]): string {
  return `<div class="legend">${rules
    .map((rule, index) => `<span><i style="background:${colorOf(index)}"></i>${text(rule)}</span>`)
    .join('')}</div>`;
}

/** A stacked bar chart of a day series: one bar per day (or per bucket of days), one colour per rule. */
function barChart(series: DaySeries, label: string): string {
  const { days, rules, counts } = series;
  if (days.length === 0) return '<p class="sub">Nothing to draw.</p>';
  const size = Math.ceil(days.length / MAX_BARS);
  const buckets: Array<{ from: string; to: string; values: number[] }> = [];
  for (let start = 0; start < days.length; start += size) {
    const values = rules.map(() => 0);
    for (let day = start; day < Math.min(days.length, start + size); day += 1)
      counts[day].forEach((count, rule) => {
        values[rule] += count;
      });
    buckets.push({ from: days[start], to: days[Math.min(days.length, start + size) - 1], values });
  }
  const width = 960;
  const height = 240;
  const left = 48;
  const bottom = 28;
  const top = 10;
  const plotWidth = width - left - 10;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...buckets.map((bucket) => bucket.values.reduce((a, b) => a + b, 0)));
  const step = plotWidth / buckets.length;
  const barWidth = Math.max(1, step * 0.8);
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const y = top + plotHeight - fraction * plotHeight;
    parts.push(
      `<line x1="${left}" x2="${width - 10}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eceff4"/>`,
      `<text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${n(Math.round(max * fraction))}</text>`,
    );
  }
  const labelEvery = Math.ceil(buckets.length / 8);
  buckets.forEach((bucket, index) => {
    const x = left + index * step + (step - barWidth) / 2;
    let y = top + plotHeight;
    const when = bucket.from === bucket.to ? bucket.from : `${bucket.from} to ${bucket.to}`;
    bucket.values.forEach((count, rule) => {
      if (count === 0) return;
      const h = (count / max) * plotHeight;
      y -= h;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${colorOf(rule)}"><title>${escapeHtml(when)} ${text(rules[rule])}: ${n(count)}</title></rect>`,
      );
    });
    if (index % labelEvery === 0)
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">${escapeHtml(bucket.from.slice(5))}</text>`,
      );
  });
  const bucketNote =
    (size > 1 ? `<p class="sub">Each bar is ${size} days.</p>` : '') +
    (series.cut ? `<p class="note">The chart stops after ${n(days.length)} days; the totals count every day.</p>` : '');
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}">${parts.join('')}</svg>${legend(rules)}${bucketNote}`;
}

function topTable(title: string, id: string, top: Top): string {
  const rows = top.rows
    .map(
      (row) =>
        `<tr><td>${text(row.value)}${row.detail ? ` <span class="sub">(${text(row.detail)})</span>` : ''}</td><td class="num">${n(row.alerts)}</td><td class="num">${n(row.events)}</td></tr>`,
    )
    .join('');
  const more =
    top.distinct > top.rows.length
      ? `<tr><td colspan="3" class="sub">… and ${n(top.distinct - top.rows.length)} more</td></tr>`
      : '';
  return `<section><h3>${escapeHtml(title)}</h3><table id="${id}" data-distinct="${top.distinct}"><thead><tr><th>Value</th><th class="num">Alerts</th><th class="num">Events</th></tr></thead><tbody>${rows || '<tr><td colspan="3" class="sub">none</td></tr>'}${more}</tbody></table></section>`;
}

export function renderHtml(report: ReplayReport): string {
  const { run, memory, forecast } = report;
  const period = report.period
    ? `${escapeHtml(report.period.from)} to ${escapeHtml(report.period.to)} (${n(report.period.days)} day(s))`
    : 'no findings';
  const ruleRows = report.rules
    .map(
      (row) =>
        `<tr data-rule><td>${text(row.rule)}</td><td class="num">${n(row.findings)}</td><td class="num">${n(row.suppressed)}</td><td class="num">${n(row.alerts)}</td><td class="num">${n(row.alertEvents)}</td><td class="num">${n(row.withoutMemory)}</td><td class="num">${n(row.forecast)}</td><td class="num">${n(row.peak)}${row.peakDay ? ` <span class="sub">${escapeHtml(row.peakDay)}</span>` : ''}</td></tr>`,
    )
    .join('');
  const suppressedRows = report.suppressedBy
    .map(
      (entry) =>
        `<tr><td>${entry.index > 0 ? `#${entry.index}` : '(unknown entry)'}</td><td>${text(entry.reason)}</td><td class="num">${n(entry.count)}</td></tr>`,
    )
    .join('');
  const alertRows = report.alerts
    .map(
      (alert) =>
        `<tr><td>${text(alert.time, 40)}</td><td>${text(alert.rule)}</td><td class="sev-${text(alert.severity, 10)}">${text(alert.severity, 10)}</td><td class="num">${n(alert.count)}</td><td>${text(alert.principal)}</td><td>${text(alert.source)}</td><td>${text(alert.country, 40)}</td><td>${text(alert.account)}</td><td>${text(alert.subject)}</td><td class="ids">${alert.eventIds.map((id) => text(id, 128)).join('<br>')}${alert.moreIds > 0 ? `<br>… and ${n(alert.moreIds)} more` : ''}</td></tr>`,
    )
    .join('\n');
  const capped =
    report.alertsTotal > report.alerts.length
      ? `<p class="note" id="alerts-capped">Showing the first ${n(report.alerts.length)} of ${n(report.alertsTotal)} alerts; <code>--json</code> prints them all.</p>`
      : '';
  const partial = forecast.partial
    ? '<p class="note">The forecast is partial: the replay had more distinct groups than it keeps; later ones are left out.</p>'
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>trailguard replay report: ${escapeHtml(report.function)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>trailguard replay: ${escapeHtml(report.function)}</h1>
<p class="sub">Findings from ${period}. Built offline by <code>trailguard replay --report</code>; this page loads nothing from any network.</p>
</header>
<section id="summary">
<h2>Summary</h2>
<div class="cards">
${card('file(s)', run.files, 'files')}${card('record(s)', run.records, 'records')}${card('finding(s)', run.findings, 'findings')}${card('alert(s) in this replay', run.alerts, 'alerts')}${card('rejected', run.rejected, 'rejected')}${card('skipped', run.skipped, 'skipped')}${card('duplicate(s)', run.duplicates, 'duplicates')}
</div>
</section>
<section id="memory">
<h2>What the memory stage removed</h2>
<p class="sub">Store ${escapeHtml(memory.store)}, dedup window ${escapeHtml(memory.dedupWindow)}, dedup TTL ${escapeHtml(memory.dedupTtl)}, thresholds ${memory.thresholds.length > 0 ? memory.thresholds.map((t) => text(t)).join(', ') : 'none'}, ${n(memory.suppressions)} suppression(s).</p>
<div class="cards">
${card('sent', memory.sent, 'sent')}${card('held for roll-up', memory.held, 'held')}${card('rolled up', memory.rolledUp, 'rolledUp')}${card('suppressed', memory.suppressed, 'suppressed')}${card('below threshold', memory.belowThreshold, 'belowThreshold')}${card('already seen', memory.duplicates, 'alreadySeen')}${memory.unavailable > 0 ? card('sent without memory (state unavailable)', memory.unavailable, 'unavailable') : ''}
</div>
${suppressedRows ? `<table id="suppressed-by"><thead><tr><th>Suppression</th><th>Reason</th><th class="num">Findings muted</th></tr></thead><tbody>${suppressedRows}</tbody></table>` : ''}
</section>
<section id="forecast">
<h2>Noise forecast</h2>
<p>This configuration would have sent <b data-count="forecast">${n(forecast.total)}</b> alert(s) over ${n(forecast.days)} day(s): <b data-count="forecast-per-day">${escapeHtml(formatRate(forecast.perDay))}</b> per day${forecast.peakDay ? `, at most ${n(forecast.peak)} on ${escapeHtml(forecast.peakDay)}` : ''}. Without the memory stage (dedup window, thresholds): <b data-count="forecast-without-memory">${n(forecast.withoutMemory)}</b>.</p>
<p class="sub">The forecast runs the memory stage with this configuration on the findings in ${forecast.sliceMinutes}-minute batches of event time (CloudTrail writes a log file about every 5 minutes), its clock at each batch's last event; roll-ups are counted when their window ends. The replay above folds each group into one alert instead.</p>
${partial}
${barChart(forecast.byDay, 'Alerts per day by rule (forecast)')}
<h3>By rule</h3>
<table id="rules"><thead><tr><th>Rule</th><th class="num">Findings</th><th class="num">Suppressed</th><th class="num">Replay alerts</th><th class="num">Their events</th><th class="num">Forecast without memory</th><th class="num">Forecast</th><th class="num">Peak per day</th></tr></thead><tbody>${ruleRows || '<tr><td colspan="8" class="sub">none</td></tr>'}</tbody></table>
</section>
<section id="findings-over-time">
<h2>Findings over time</h2>
<p class="sub">Findings per day by rule, after suppressions.</p>
${barChart(report.findingsByDay, 'Findings per day by rule')}
</section>
<section id="top">
<h2>Who and where</h2>
<p class="sub">From the first event of each alert of this replay; events are the alerts' counts. Countries and account names come from enrichment, "unknown" where it had none.</p>
<div class="grid">
${topTable('Top principals', 'top-principals', report.top.principals)}
${topTable('Top source addresses', 'top-sources', report.top.sources)}
${topTable('Countries', 'top-countries', report.top.countries)}
${topTable('Accounts', 'top-accounts', report.top.accounts)}
</div>
</section>
<section id="alert-list">
<h2>Alerts</h2>
${capped}
<p><label>Filter <input type="search" id="filter" placeholder="rule, principal, address, event id…" autocomplete="off"></label> <span class="sub"><span id="shown">${report.alerts.length}</span> shown</span></p>
<div class="scroll"><table id="alerts"><thead><tr><th>First event</th><th>Rule</th><th>Severity</th><th class="num">Events</th><th>Principal</th><th>Source</th><th>Country</th><th>Account</th><th>Subject</th><th>Event ids</th></tr></thead>
<tbody>
${alertRows}
</tbody></table></div>
</section>
<script>${FILTER_SCRIPT}</script>
</body>
</html>
`;
}
