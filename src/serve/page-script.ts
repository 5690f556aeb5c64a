// The dashboard page's script, inlined into the page (no file to fetch, nothing from elsewhere):
// it draws the diagram's live counts, the ledger table, sparklines and histograms, the job search,
// and keeps one EventSource open while the tab is visible. Plain ES5-style JavaScript in a string.
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var init = JSON.parse(document.getElementById('init').textContent);
  var colours = init.colours;
  var states = init.states;
  var names = states.map(function (s) { return s.state; });
  var throughput = init.throughput.slice();
  var histograms = init.histograms;
  var ledger = init.ledger;
  var paused = init.paused || [];
  var lastId = init.eventId || 0;
  var es = null;
  var $ = function (id) { return document.getElementById(id); };
  var esc = function (t) { return String(t).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); };
  var fmtN = function (n) { return n == null ? '–' : Number(n).toLocaleString('en'); };
  var fmtMs = function (ms) {
    if (ms == null || !isFinite(ms)) return '–';
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 1000) return (ms < 10 ? ms.toFixed(1) : Math.round(ms)) + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + ' s';
    if (ms < 3600000) return (ms / 60000).toFixed(1) + ' min';
    return (ms / 3600000).toFixed(1) + ' h';
  };
  var fmtRate = function (r) { return r == null ? '–' : (r >= 100 ? Math.round(r) : Number(r.toPrecision(3))) + '/s'; };
  var time = function (at) { return at ? new Date(at).toISOString().replace('T', ' ').replace('Z', '') : '–'; };

  // The diagram: Graphviz's SVG, each state a g.node whose title is its name; its run lines are filled in here.
  var nodes = {};
  Array.prototype.forEach.call(document.querySelectorAll('#diagram g.node'), function (g) {
    var title = g.querySelector('title');
    if (title) nodes[title.textContent] = g;
  });

  function ledgerOf(name) {
    if (!ledger) return null;
    for (var i = 0; i < ledger.states.length; i++) if (ledger.states[i].state === name) return ledger.states[i];
    return null;
  }

  function drawDiagram() {
    var bottleneck = ledger && ledger.bottleneck ? ledger.bottleneck.state : undefined;
    states.forEach(function (s, i) {
      var g = nodes[s.state];
      if (!g) return;
      var c = colours[s.health];
      Array.prototype.forEach.call(g.querySelectorAll('path,polygon,ellipse'), function (shape) {
        shape.setAttribute('fill', c.fill); shape.setAttribute('stroke', c.stroke);
      });
      var texts = g.querySelectorAll('text');
      var first = init.definitionLines[i] || 1;
      for (var k = first; k < texts.length; k++) {
        texts[k].textContent = s.lines[k - first] || '';
        texts[k].setAttribute('fill', c.text);
      }
      g.setAttribute('data-health', s.health);
      g.classList.toggle('bottleneck', s.state === bottleneck);
    });
    var v = $('verdict');
    if (ledger && ledger.bottleneck) {
      var b = ledger.bottleneck;
      v.textContent = (b.state ? 'Bottleneck: ' + b.state + ' — ' : '') + b.kind + ': ' + b.reason;
      v.className = b.kind === 'done' || b.kind === 'idle' ? 'calm' : '';
    } else {
      v.textContent = ledger === null ? 'No ledger in this build of jorb-ts: counts only.' : '–';
      v.className = 'calm';
    }
  }

  function drawHeader(u) {
    $('h-jobs').textContent = fmtN(u.jobs);
    var done = 0;
    states.forEach(function (s) { if (s.terminal) done += s.completed; });
    $('h-done').textContent = fmtN(done);
    var rate = ledger ? ledger.throughput : recentRate();
    $('h-rate').textContent = fmtRate(rate);
    $('h-last').textContent = time(u.lastAt);
  }

  function recentRate() {
    if (throughput.length === 0) return 0;
    var end = throughput[throughput.length - 1].t, sum = 0;
    throughput.forEach(function (b) { if (b.t > end - 10 && b.t < end) b.n.forEach(function (x) { sum += x; }); });
    return sum / 9;
  }

  function drawTable() {
    var head = '<tr><th>state</th><th>waiting</th><th>failed</th><th>completed</th><th>with errors</th><th>visits</th><th>mean in state</th>';
    if (ledger) head += '<th>arrivals/s</th><th>completions/s</th><th>visits/job</th><th>in state p50/p95</th><th>wait p95</th><th>in flight / slots</th><th>utilisation</th><th>errors · retries · t/o</th><th>verdict</th>';
    $('ledger').tHead.innerHTML = head + '</tr>';
    var bottleneck = ledger && ledger.bottleneck ? ledger.bottleneck.state : undefined;
    $('ledger').tBodies[0].innerHTML = states.map(function (s) {
      var l = ledgerOf(s.state);
      var isPaused = paused.indexOf(s.state) !== -1;
      var row = '<tr data-state="' + esc(s.state) + '"' + (s.state === bottleneck ? ' class="bottleneck"' : '') + '><td class="state"><span class="dot" style="background:' + colours[s.health].stroke + '"></span>' + esc(s.state) + (isPaused ? ' <span class="paused">paused</span>' : '') + '</td>' +
        '<td data-k="waiting">' + fmtN(s.waiting) + '</td><td data-k="failed"' + (s.failed ? ' class="err"' : '') + '>' + fmtN(s.failed) + '</td><td data-k="completed">' + fmtN(s.completed) + '</td>' +
        '<td>' + fmtN(s.errorJobs) + '</td><td>' + fmtN(s.visits) + '</td><td>' + fmtMs(s.meanMs) + '</td>';
      if (ledger) {
        row += l ? '<td>' + fmtRate(l.arrivalsPerSecond) + '</td><td>' + fmtRate(l.completionsPerSecond) + '</td><td>' + (l.visitsPerJob ? l.visitsPerJob.toFixed(2) : '–') + '</td>' +
          '<td>' + (l.serviceMs ? fmtMs(l.serviceMs.p50) + ' / ' + fmtMs(l.serviceMs.p95) : (l.timeInStateMs ? fmtMs(l.timeInStateMs.p50) + ' / ' + fmtMs(l.timeInStateMs.p95) : '–')) + '</td><td>' + (l.waitMs ? fmtMs(l.waitMs.p95) : '–') + '</td>' +
          '<td>' + (s.terminal ? '' : (l.serviceMs ? fmtN(l.inFlight) : '–') + ' / ' + fmtN(l.limit)) + '</td><td>' + (s.terminal ? '' : Math.round((l.utilisation || 0) * 100) + ' %') + '</td>' +
          '<td>' + fmtN(l.errors) + ' · ' + fmtN(l.retries) + ' · ' + fmtN(l.timeouts) + '</td><td title="' + esc(l.verdict.reason) + '">' + esc(l.verdict.kind) + '</td>' : '<td colspan="9"></td>';
      }
      return row + '</tr>';
    }).join('');
  }

  function sparkline(values, width, height) {
    var max = Math.max.apply(null, values.concat([1]));
    var step = values.length > 1 ? width / (values.length - 1) : width;
    var pts = values.map(function (v, i) { return (i * step).toFixed(1) + ',' + (height - 2 - (v / max) * (height - 4)).toFixed(1); });
    return '<polyline fill="none" stroke="#2457c5" stroke-width="1.5" points="' + pts.join(' ') + '"/>';
  }

  function bars(counts, width, height) {
    var max = Math.max.apply(null, counts.concat([1]));
    var w = width / counts.length;
    return counts.map(function (c, i) {
      var h = c === 0 ? 0 : Math.max(1, (c / max) * (height - 2));
      return '<rect x="' + (i * w + 0.5).toFixed(1) + '" y="' + (height - h).toFixed(1) + '" width="' + Math.max(1, w - 1).toFixed(1) + '" height="' + h.toFixed(1) + '" fill="#7aa2e3"><title>' + bucketName(i) + ': ' + c + '</title></rect>';
    }).join('');
  }

  function bucketName(i) { return i === 0 ? '< 1 ms' : fmtMs(Math.pow(2, i - 1)) + ' – ' + fmtMs(Math.pow(2, i)); }

  function drawCharts() {
    var end = throughput.length ? throughput[throughput.length - 1].t : Math.floor(Date.now() / 1000);
    var byT = {};
    throughput.forEach(function (b) { byT[b.t] = b.n; });
    $('charts').innerHTML = states.map(function (s, i) {
      if (s.terminal) return '';
      var series = [];
      var from = Math.min(end - 29, Math.max(end - 119, throughput.length ? throughput[0].t : end));
      for (var t = from; t <= end; t++) series.push(byT[t] ? byT[t][i] || 0 : 0);
      var h = histograms[i] || [];
      var lo = h.findIndex(function (c) { return c > 0; }), hi = h.length - 1;
      while (hi > 0 && !h[hi]) hi--;
      var shown = lo < 0 ? [] : h.slice(Math.max(0, lo - 1), hi + 2);
      return '<div class="chart" data-state="' + esc(s.state) + '"><div class="t">' + esc(s.state) + '</div><div class="s">' + fmtN(series[series.length - 2] || 0) + '/s last second · peak ' + fmtN(Math.max.apply(null, series)) + '/s</div>' +
        '<svg viewBox="0 0 200 48" preserveAspectRatio="none">' + sparkline(series, 200, 48) + '</svg>' +
        '<div class="s">time in state: ' + (lo < 0 ? 'no visit ended yet' : bucketName(Math.max(0, lo - 1)).split(' – ')[0] + ' … ' + bucketName(Math.min(h.length - 1, hi + 1)).split(' – ').pop()) + '</div>' +
        '<svg viewBox="0 0 200 48" preserveAspectRatio="none">' + bars(shown, 200, 48) + '</svg></div>';
    }).join('');
  }

  function drawAll(u) { drawDiagram(); drawHeader(u); drawTable(); drawCharts(); }

  function applyUpdate(u) {
    states = u.states;
    if (u.bin) {
      var last = throughput[throughput.length - 1];
      if (last && last.t === u.bin.t) last.n = u.bin.n; else if (!last || u.bin.t > last.t) throughput.push(u.bin);
      if (throughput.length > 300) throughput.splice(0, throughput.length - 300);
    }
    if (u.histograms) histograms = u.histograms;
    if (u.ledger !== undefined) ledger = u.ledger;
    if (u.paused) paused = u.paused;
    drawAll(u);
  }

  // Live updates: one EventSource, closed while the tab is hidden, resumed from the last id seen.
  function setLive(text, cls) { var el = $('live'); el.textContent = text; el.className = cls; }
  function connect() {
    if (es) return;
    es = new EventSource('/events?lastEventId=' + lastId);
    es.addEventListener('open', function () { setLive('live', 'on'); });
    es.addEventListener('error', function () { setLive('reconnecting', 'off'); });
    es.addEventListener('update', function (e) { lastId = Number(e.lastEventId) || lastId; applyUpdate(JSON.parse(e.data)); });
    es.addEventListener('reset', function (e) {
      lastId = Number(e.lastEventId) || lastId;
      var whole = JSON.parse(e.data);
      if (whole.svg && JSON.stringify(whole.states.map(function (s) { return s.state; })) !== JSON.stringify(names)) { location.reload(); return; }
      throughput = whole.throughput.slice();
      applyUpdate(whole);
    });
  }
  function disconnect() { if (es) { es.close(); es = null; } setLive('paused (tab hidden)', 'off'); }
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') disconnect(); else connect(); });
  window.jorbDashboard = { get lastEventId() { return lastId; }, get connected() { return es !== null; } };

  // Search, a job's timeline and its kick tree.
  var select = $('search-state');
  names.forEach(function (n) { var o = document.createElement('option'); o.value = n; o.textContent = n; select.appendChild(o); });
  $('search').addEventListener('submit', function (e) {
    e.preventDefault();
    var params = new URLSearchParams({ q: $('q').value, state: select.value, limit: '50' });
    if ($('search-failed').checked) params.set('failed', 'true');
    fetch('/api/jobs?' + params).then(function (r) { return r.json(); }).then(function (found) {
      $('results').innerHTML = found.jobs.length === 0 ? '<p class="muted">No job matches.</p>' :
        '<table><thead><tr><th>id</th><th>state</th><th>key</th><th>last error</th></tr></thead><tbody>' + found.jobs.map(function (j) {
          return '<tr data-id="' + esc(j.id) + '"><td>' + esc(j.id) + '</td><td' + (j.failed ? ' class="err"' : '') + '>' + esc(j.state) + (j.failed ? ' (failed)' : '') + '</td><td>' + esc(j.key || '') + '</td><td class="err">' + esc(j.lastError || '') + '</td></tr>';
        }).join('') + '</tbody></table>' + (found.more ? '<p class="muted">More match: refine the search.</p>' : '');
    });
  });
  $('results').addEventListener('click', function (e) { var tr = e.target.closest('tr[data-id]'); if (tr) showJob(tr.getAttribute('data-id')); });
  $('tree').addEventListener('click', function (e) { var a = e.target.closest('a[data-id]'); if (a) showJob(a.getAttribute('data-id')); });
  function showJob(id) {
    fetch('/api/jobs/' + encodeURIComponent(id)).then(function (r) { return r.json(); }).then(function (d) {
      if (d.error) { $('job-head').textContent = d.error; return; }
      var j = d.job, p = d.path;
      $('job-head').innerHTML = '<b>job ' + esc(j.id) + '</b> in <b>' + esc(j.state) + '</b>' + (j.failed ? ' <span class="err">(failed)</span>' : '') + (j.key ? ' · key ' + esc(j.key) : '') + '<pre>' + esc(j.jc) + '</pre>';
      var longest = Math.max.apply(null, p.visits.map(function (v) { return v.durationMs || 0; }).concat([1]));
      $('timeline').innerHTML = '<table><thead><tr><th>state</th><th>entered</th><th>stayed</th><th style="width:40%"></th></tr></thead><tbody>' + p.visits.map(function (v) {
        return '<tr><td>' + esc(v.state) + (v.join ? ' (join)' : '') + (v.note ? ' <span class="muted">' + esc(v.note) + '</span>' : '') + '</td><td>' + time(v.start) + '</td><td>' + (v.durationMs == null ? 'now' : fmtMs(v.durationMs)) + '</td><td><div class="bar" style="width:' + (v.durationMs == null ? 2 : Math.max(1, 100 * v.durationMs / longest)) + '%"></div></td></tr>';
      }).join('') + '</tbody></table>' + (p.truncated ? '<p class="muted">Older visits are not kept in the job (the run file\'s log had them).</p>' : '') +
        Object.keys(j.errors).map(function (s) { return j.errors[s].length ? '<div class="err">' + esc(s) + ': ' + esc(j.errors[s].join(' · ')) + '</div>' : ''; }).join('');
      var link = function (r) { return '<a data-id="' + esc(r.id) + '">' + esc(r.id) + '</a> <span class="muted">' + esc(r.state) + (r.failed ? ' (failed)' : '') + '</span>'; };
      var html = '<h2 style="margin-top:8px">Kick tree</h2><ul>';
      d.parents.forEach(function (r) { html += '<li>' + link(r) + '<ul>'; });
      html += '<li><b>' + esc(j.id) + '</b> <span class="muted">' + esc(j.state) + '</span><ul>' + p.children.map(function (c) {
        return '<li>' + link(c) + (c.fromVisit != null ? ' <span class="muted">kicked in ' + esc(p.visits[c.fromVisit].state) + '</span>' : '') + '</li>';
      }).join('') + (p.children.length ? '' : '<li class="muted">no children</li>') + '</ul></li>';
      d.parents.forEach(function () { html += '</ul></li>'; });
      $('tree').innerHTML = html + '</ul>';
    });
  }

  // Actions (with --allow-actions): the token from the address's #token=…, or typed in.
  var redrive = $('redrive');
  if (redrive) {
    var fromHash = function () { var m = /token=([^&]+)/.exec(location.hash); if (m) $('token').value = decodeURIComponent(m[1]); };
    fromHash();
    window.addEventListener('hashchange', fromHash);
    [$('redrive-from'), $('redrive-to')].forEach(function (sel) { names.forEach(function (n) { var o = document.createElement('option'); o.value = n; o.textContent = n; sel.appendChild(o); }); });
    redrive.addEventListener('submit', function (e) {
      e.preventDefault();
      fetch('/api/actions/redrive', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + $('token').value },
        body: JSON.stringify({ from: $('redrive-from').value, to: $('redrive-to').value, whereError: $('redrive-where').value }) })
        .then(function (r) { return r.json().then(function (b) { $('action-result').textContent = r.status + ': ' + (b.message || b.error); }); });
    });
    states.forEach(function (s) { if (!s.terminal) { var o = document.createElement('option'); o.value = s.state; o.textContent = s.state; $('pause-state').appendChild(o); } });
    var pauseOrResume = function (name) {
      fetch('/api/actions/' + name, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' + $('token').value }, body: JSON.stringify({ state: $('pause-state').value }) })
        .then(function (r) { return r.json().then(function (b) { $('action-result').textContent = r.status + ': ' + (b.message || b.error); }); });
    };
    $('pause').addEventListener('submit', function (e) { e.preventDefault(); pauseOrResume('pause'); });
    $('resume-button').addEventListener('click', function () { pauseOrResume('resume'); });
  }

  drawAll(init);
  if (document.visibilityState !== 'hidden') connect(); else setLive('paused (tab hidden)', 'off');
})();
`;
