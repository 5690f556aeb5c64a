import { HEALTH_COLOURS } from '../diagram/health.js';
import type { WholeState } from './dashboard.js';
import { PAGE_SCRIPT } from './page-script.js';

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{--fg:#1d2330;--muted:#5f6b7a;--line:#dde3ea;--bg:#f6f8fa;--card:#fff;--accent:#2457c5;--bad:#c62828}
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:16px;align-items:baseline;padding:10px 18px;background:#1d2330;color:#fff;flex-wrap:wrap}
header h1{font-size:16px;margin:0}
header .figure{color:#c9d3e0}header .figure b{color:#fff}
#live{margin-left:auto;font-size:12px;padding:2px 8px;border-radius:10px;background:#3a4556}
#live.on{background:#2e7d32}#live.off{background:#8d6e00}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;padding:14px 18px}
section{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 12px;min-width:0}
section h2{font-size:13px;margin:0 0 8px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.wide{grid-column:1/-1}
#diagram{overflow:auto;max-height:560px;text-align:center}#diagram g.node text{font-size:10px}#diagram svg{max-width:100%;height:auto;min-height:180px}
#diagram g.node.bottleneck path,#diagram g.node.bottleneck polygon,#diagram g.node.bottleneck ellipse{stroke:#c62828;stroke-width:4;stroke-dasharray:6 3}
#verdict{margin:6px 0 0;padding:6px 8px;border-left:4px solid #c62828;background:#fff4f4}
#verdict.calm{border-color:#2e7d32;background:#f1faf1}
table{border-collapse:collapse;width:100%}.scroll{overflow-x:auto}#ledger{font-size:12px}th,td{padding:3px 5px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{color:var(--muted);font-weight:600;font-size:12px}
td.state{font-weight:600}td .dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;vertical-align:middle}
tr.bottleneck td.state::after{content:" ◀ bottleneck";color:#c62828;font-weight:600}
.paused{background:#fff3cd;color:#7a5a00;border-radius:3px;padding:0 4px;font-size:90%}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:10px}
.chart{border:1px solid var(--line);border-radius:4px;padding:6px}.chart .t{font-weight:600}.chart .s{color:var(--muted);font-size:11px}
.chart svg{display:block;width:100%;height:48px}
form{display:flex;gap:6px;flex-wrap:wrap;margin-bottom:8px}
input,select,button{font:inherit;padding:3px 6px;border:1px solid #b7c0cc;border-radius:4px;background:#fff}
button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}
#results{max-height:320px;overflow:auto}#results tr{cursor:pointer}#results tr:hover td{background:#eef3fb}
.err{color:var(--bad)}.muted{color:var(--muted)}
#timeline .bar{height:10px;background:#7aa2e3;border-radius:2px;min-width:2px}
#tree ul{list-style:none;margin:0;padding-left:16px}#tree li{margin:2px 0}#tree a{color:var(--accent);cursor:pointer;text-decoration:underline}
pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);padding:6px;border-radius:4px;max-height:120px;overflow:auto;margin:6px 0}
#action-result{margin-top:6px}
`;

/** The dashboard's page: one self-contained document (inline style, script, SVG and data; nothing from elsewhere). */
export function dashboardPage(whole: WholeState & { eventId?: number }): string {
  const svg = whole.svg.slice(Math.max(0, whole.svg.indexOf('<svg')));
  const title = `${whole.name} · jorb serve`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(whole.name)}</h1><span class="figure">workflow <b>${escapeHtml(whole.workflow)}</b>${whole.inferred ? ' (read off the run)' : ''}</span>
<span class="figure">jobs <b id="h-jobs">${whole.jobs}</b></span><span class="figure">done <b id="h-done">0</b></span><span class="figure">throughput <b id="h-rate">–</b></span>
<span class="figure">last change <b id="h-last">–</b></span><span id="live">connecting</span></header>
<main>
<section class="wide"><h2>Workflow</h2><div id="diagram">${svg}</div><div id="verdict" class="calm">–</div></section>
<section class="wide"><h2>Ledger per state</h2><div class="scroll"><table id="ledger"><thead></thead><tbody></tbody></table></div></section>
<section><h2>Find a job</h2>
<form id="search"><input id="q" name="q" placeholder="id, key, state or error text" size="24"><select id="search-state"><option value="">any state</option></select>
<label><input type="checkbox" id="search-failed"> failed</label><button type="submit">Search</button></form>
<div id="results"></div></section>
<section id="job"><h2>Job</h2><div id="job-head" class="muted">Pick a job to see its timeline and kick tree.</div><div id="timeline"></div><div id="tree"></div></section>
<section class="wide"><h2>Throughput (visits ended per second, up to the last 2 min) and time in state</h2><div class="charts" id="charts"></div></section>
${whole.actions ? `<section class="wide" id="actions"><h2>Actions</h2><form id="redrive"><input id="token" placeholder="token printed by jorb serve" size="34">
<select id="redrive-from"></select> → <select id="redrive-to"></select><input id="redrive-where" placeholder="where error matches (regex)"><button type="submit">Redrive</button></form>
<form id="pause"><select id="pause-state"></select><button type="submit" id="pause-button">Pause</button><button type="button" id="resume-button">Resume</button> <span class="muted">a paused state starts nothing (running attempts finish) until resumed</span></form><div id="action-result" class="muted"></div></section>` : ''}
</main>
<script type="application/json" id="init">${scriptJson({ ...whole, colours: HEALTH_COLOURS })}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
