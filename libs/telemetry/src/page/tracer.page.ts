// The ContextTracer page: plain HTML, CSS and JavaScript in one response, no build step. It reads
// `GET /_tracer/requests` and `GET /_tracer/requests/:id`. Kept as a string so the compiled tree
// carries it; the script avoids template literals so it can live inside this one.
export const TRACER_PAGE_HTML = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ContextTracer · Deadline Relay</title>
<style>
  :root {
    --bg: #0f1419; --panel: #161c24; --panel-2: #1c2430; --line: #2a3442; --text: #e6edf3; --muted: #8b98a8;
    --ok: #3fb950; --ok-soft: rgba(63,185,80,.16); --bad: #f85149; --bad-soft: rgba(248,81,73,.18);
    --warn: #d29922; --budget: rgba(88,166,255,.16); --budget-edge: rgba(88,166,255,.55); --used: #58a6ff; --deadline: #f85149;
    font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 14px;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); }
  header { display: flex; align-items: baseline; gap: 14px; padding: 16px 24px; border-bottom: 1px solid var(--line); }
  header h1 { margin: 0; font-size: 18px; font-weight: 650; letter-spacing: .2px; }
  header .sub { color: var(--muted); }
  header .spacer { flex: 1; }
  header label { color: var(--muted); font-size: 13px; cursor: pointer; }
  main { display: grid; grid-template-columns: minmax(320px, 400px) 1fr; gap: 0; min-height: calc(100vh - 58px); }
  aside { border-right: 1px solid var(--line); background: var(--panel); display: flex; flex-direction: column; min-width: 0; }
  .filters { display: flex; flex-wrap: wrap; gap: 6px; padding: 12px 14px; border-bottom: 1px solid var(--line); }
  .chip { border: 1px solid var(--line); background: transparent; color: var(--muted); border-radius: 999px; padding: 4px 10px; font-size: 12px; cursor: pointer; }
  .chip[aria-pressed="true"] { background: var(--panel-2); color: var(--text); border-color: var(--budget-edge); }
  #requests { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; }
  #requests li { display: grid; grid-template-columns: 1fr auto; gap: 2px 10px; padding: 10px 14px; border-bottom: 1px solid var(--line); cursor: pointer; border-left: 3px solid transparent; }
  #requests li:hover { background: var(--panel-2); }
  #requests li[aria-selected="true"] { background: var(--panel-2); border-left-color: var(--used); }
  #requests li[data-outcome]:not([data-outcome="ok"]) { border-left-color: var(--bad); }
  #requests .method { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  #requests .meta { color: var(--muted); font-size: 12px; grid-column: 1 / -1; }
  .badge { font-size: 11px; padding: 2px 8px; border-radius: 999px; font-weight: 600; white-space: nowrap; align-self: center; }
  .badge.ok { color: var(--ok); background: var(--ok-soft); }
  .badge.bad { color: var(--bad); background: var(--bad-soft); }
  .empty { color: var(--muted); padding: 24px 14px; }
  section#detail { padding: 20px 28px; min-width: 0; }
  .summary { display: flex; flex-wrap: wrap; gap: 10px 28px; margin-bottom: 8px; }
  .summary div { display: flex; flex-direction: column; }
  .summary .k { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
  .summary .v { font-size: 18px; font-weight: 600; font-variant-numeric: tabular-nums; }
  .reason { color: var(--bad); margin: 6px 0 0; font-family: ui-monospace, monospace; font-size: 12.5px; }
  .trace { color: var(--muted); font-family: ui-monospace, monospace; font-size: 12px; margin-top: 4px; }
  .scale { margin: 18px 0 8px; display: flex; gap: 8px; align-items: center; color: var(--muted); font-size: 12px; }
  .waterfall { position: relative; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 34px 16px 10px; overflow: hidden; }
  .row { display: grid; grid-template-columns: 210px 1fr; align-items: center; height: 38px; }
  .row .label { font-family: ui-monospace, monospace; font-size: 12.5px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; padding-right: 10px; }
  .row .label .lvl { color: var(--muted); margin-right: 6px; }
  .track { position: relative; height: 22px; }
  .budget { position: absolute; top: 0; height: 22px; background: var(--budget); border: 1px solid var(--budget-edge); border-radius: 4px; }
  .used { position: absolute; top: 4px; height: 14px; background: var(--used); border-radius: 3px; min-width: 2px; }
  .hop.failed .used { background: var(--bad); box-shadow: 0 0 0 2px var(--bad-soft); }
  .hop.failed .label { color: var(--bad); }
  .hop.failed .label::after { content: " ✕"; }
  .first-mark { position: absolute; top: -2px; height: 26px; width: 0; border-left: 2px solid var(--text); }
  .bar-text.inside { color: #fff; text-shadow: 0 1px 2px rgba(0,0,0,.6); }
  .bar-text { position: absolute; top: 3px; font-size: 11.5px; color: var(--text); white-space: nowrap; font-variant-numeric: tabular-nums; pointer-events: none; }
  .deadline-line { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px dashed var(--deadline); }
  .deadline-tag { position: absolute; top: -24px; white-space: nowrap; transform: translateX(-100%); border-top-right-radius: 0 !important; border-bottom-right-radius: 0 !important; background: var(--deadline); color: #fff; font-size: 10.5px; font-weight: 700; padding: 1px 6px; border-radius: 3px; }
  .axis { display: grid; grid-template-columns: 210px 1fr; margin-top: 4px; }
  .axis .ticks { position: relative; height: 18px; border-top: 1px solid var(--line); }
  .axis .tick { position: absolute; top: 3px; white-space: nowrap; transform: translateX(-50%); color: var(--muted); font-size: 11px; font-variant-numeric: tabular-nums; }
  .legend { display: flex; gap: 18px; color: var(--muted); font-size: 12px; margin: 10px 0 0; flex-wrap: wrap; }
  .legend i { display: inline-block; width: 14px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
  table { width: 100%; border-collapse: collapse; margin-top: 22px; font-variant-numeric: tabular-nums; }
  th, td { text-align: right; padding: 7px 10px; border-bottom: 1px solid var(--line); font-size: 13px; }
  th { color: var(--muted); font-weight: 600; font-size: 11.5px; text-transform: uppercase; letter-spacing: .5px; }
  th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
  td.bad { color: var(--bad); font-weight: 600; }
  th.replica, td.replica { text-align: left; }
  td.replica { font-family: ui-monospace, monospace; font-size: 12px; color: var(--muted); }
  .note { color: var(--muted); font-size: 12px; margin-top: 10px; }
</style>
</head>
<body>
<header>
  <h1>ContextTracer</h1><span class="sub">the deadline's decay, hop by hop</span>
  <span class="spacer"></span>
  <label><input type="checkbox" id="live" checked> live</label>
</header>
<main>
  <aside>
    <div class="filters" role="group" aria-label="Filter by outcome">
      <button class="chip" data-filter="" aria-pressed="true">all</button>
      <button class="chip" data-filter="ok" aria-pressed="false">ok</button>
      <button class="chip" data-filter="deadline_exceeded" aria-pressed="false">deadline exceeded</button>
      <button class="chip" data-filter="cancelled" aria-pressed="false">cancelled</button>
      <button class="chip" data-filter="error" aria-pressed="false">error</button>
    </div>
    <ul id="requests" aria-label="Recent requests"></ul>
  </aside>
  <section id="detail" aria-live="polite"><p class="empty">No request yet. Send one through the gateway and it appears here.</p></section>
</main>
<script>
(function () {
  'use strict';
  var state = { filter: '', selected: null, scale: 'budget', items: [] };
  var listEl = document.getElementById('requests');
  var detailEl = document.getElementById('detail');
  var OUTCOME_TEXT = { ok: 'ok', deadline_exceeded: 'deadline exceeded', cancelled: 'cancelled', breaker_open: 'breaker open', error: 'error' };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else if (k === 'style') node.setAttribute('style', attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }
  function ms(v) { return v === null || v === undefined ? '–' : (v >= 100 ? Math.round(v) : Math.round(v * 10) / 10) + ' ms'; }
  function badge(outcome) { return el('span', { 'class': 'badge ' + (outcome === 'ok' ? 'ok' : 'bad'), text: OUTCOME_TEXT[outcome] || outcome }); }
  function getJson(url) { return fetch(url, { headers: { accept: 'application/json' } }).then(function (r) { if (!r.ok) throw new Error(url + ': HTTP ' + r.status); return r.json(); }); }

  function loadList() {
    var url = '/_tracer/requests' + (state.filter ? '?outcome=' + encodeURIComponent(state.filter) : '');
    return getJson(url).then(function (body) {
      state.items = body.requests;
      renderList();
      var fromHash = Number((location.hash.match(/^#\\/requests\\/(\\d+)$/) || [])[1]);
      var wanted = fromHash || state.selected || (state.items[0] && state.items[0].id);
      if (wanted && wanted !== state.shown) select(wanted);
      if (!state.items.length && !fromHash) detailEl.replaceChildren(el('p', { 'class': 'empty', text: state.filter ? 'No recent request ended with this outcome.' : 'No request yet. Send one through the gateway and it appears here.' }));
    });
  }

  function renderList() {
    listEl.replaceChildren.apply(listEl, state.items.map(function (r) {
      var li = el('li', { 'data-id': String(r.id), 'data-outcome': r.outcome, 'aria-selected': String(r.id === state.selected), 'data-testid': 'request' }, [
        el('span', { 'class': 'method', text: r.method }),
        badge(r.outcome),
        el('span', { 'class': 'meta', text: new Date(r.endedAt).toLocaleTimeString() + ' · budget ' + ms(r.budgetMs) + ' · took ' + ms(r.spentMs) + ' · ' + r.hopCount + ' hop' + (r.hopCount === 1 ? '' : 's') }),
      ]);
      li.addEventListener('click', function () { location.hash = '#/requests/' + r.id; });
      return li;
    }));
    if (!state.items.length) listEl.replaceChildren(el('li', { 'class': 'empty', text: 'Nothing here yet.' }));
  }

  function select(id) {
    state.selected = id;
    Array.prototype.forEach.call(listEl.children, function (li) { li.setAttribute('aria-selected', String(li.getAttribute('data-id') === String(id))); });
    return getJson('/_tracer/requests/' + id).then(function (r) { state.shown = id; renderDetail(r); }, function () {
      detailEl.replaceChildren(el('p', { 'class': 'empty', text: 'Request ' + id + ' is no longer in the buffer.' }));
    });
  }

  function renderDetail(r) {
    var bars = r.waterfall;
    var deadlineAt = bars.length && bars[0].deadlineAtMs !== null ? bars[0].deadlineAtMs : null;
    var workEnd = bars.reduce(function (m, b) { return Math.max(m, b.startMs + b.spentMs); }, 0);
    var span = state.scale === 'work' || deadlineAt === null ? Math.max(workEnd * 1.08, 1) : Math.max(deadlineAt * 1.04, workEnd * 1.04, 1);
    function pct(v) { return Math.max(0, Math.min(100, (v / span) * 100)) + '%'; }

    // A stream is one bar per hop, like a request; the edge's carries a mark where its first event went out.
    var stream = r.stream || null;
    var rows = bars.map(function (b, i) {
      var failed = b.outcome !== 'ok';
      var firstMark = i === 0 && stream && stream.firstMessageMs !== null
        ? el('div', { 'class': 'first-mark', 'data-testid': 'first-message-mark', style: 'left:' + pct(b.startMs + stream.firstMessageMs), title: 'first event after ' + ms(stream.firstMessageMs) })
        : null;
      // Past the middle of the axis the caption goes inside the bar, so it never runs off the chart.
      var late = (b.startMs + b.spentMs) / span > 0.55;
      var track = el('div', { 'class': 'track' }, [
        b.receivedBudgetMs === null ? null : el('div', { 'class': 'budget', 'data-testid': 'budget-bar', style: 'left:' + pct(b.startMs) + ';width:calc(' + pct(b.receivedBudgetMs) + ')' }),
        el('div', { 'class': 'used', 'data-testid': 'used-bar', style: 'left:' + pct(b.startMs) + ';width:' + pct(b.spentMs), title: b.service + (b.replica ? ' (' + b.replica + ')' : '') + ' worked ' + ms(b.spentMs) }),
        firstMark,
        el('span', { 'class': 'bar-text' + (late ? ' inside' : ''), style: late ? 'right:calc(100% - ' + pct(b.startMs + b.spentMs) + ' + 6px)' : 'left:calc(' + pct(b.startMs + b.spentMs) + ' + 6px)', text: ms(b.spentMs) + ' of ' + ms(b.receivedBudgetMs) + (b.decayPct === null ? '' : ' · decay ' + b.decayPct + '%') + (failed ? ' · ' + (OUTCOME_TEXT[b.outcome] || b.outcome) : '') }),
      ]);
      var hopAttrs = { 'class': 'row hop' + (failed ? ' failed' : ''), 'data-testid': 'hop-bar', 'data-service': b.service, 'data-outcome': b.outcome };
      if (b.replica) hopAttrs['data-replica'] = b.replica;
      return el('div', hopAttrs, [
        // The replica that served the hop is in the label's tooltip (and the table's last column).
        el('div', { 'class': 'label', title: b.service + '.' + b.method + (b.replica ? ' on ' + b.replica : '') }, [el('span', { 'class': 'lvl', text: String(b.level) }), document.createTextNode(b.service + ' · ' + b.method)]),
        track,
      ]);
    });

    var chart = el('div', { 'class': 'waterfall', 'data-testid': 'waterfall' }, rows);
    if (deadlineAt !== null && deadlineAt <= span) {
      var overlay = el('div', { style: 'position:absolute;left:calc(16px + 210px);right:16px;top:30px;bottom:28px;pointer-events:none' }, [
        el('div', { 'class': 'deadline-line', 'data-testid': 'deadline-line', style: 'left:' + pct(deadlineAt) }),
        el('div', { 'class': 'deadline-tag', style: 'left:' + pct(deadlineAt), text: 'deadline ' + ms(deadlineAt) }),
      ]);
      chart.appendChild(overlay);
    }
    var ticks = el('div', { 'class': 'ticks' });
    var step = niceStep(span / 6);
    for (var t = 0; t <= span; t += step) ticks.appendChild(el('span', { 'class': 'tick', style: 'left:' + pct(t), text: ms(t) }));
    chart.appendChild(el('div', { 'class': 'axis' }, [el('span'), ticks]));

    var scale = el('div', { 'class': 'scale' }, [document.createTextNode('time axis:'),
      scaleButton('budget', 'whole budget'), scaleButton('work', 'zoom to the work')]);

    // A last column names the replica that served each hop, when any record names one.
    var withReplica = bars.some(function (b) { return !!b.replica; });
    var headings = ['level', 'service', 'method', 'initial', 'remaining', 'spent', 'decay', 'outcome'].concat(withReplica ? ['replica'] : []);
    var table = el('table', { 'data-testid': 'hop-table' }, [
      el('thead', {}, [el('tr', {}, headings.map(function (h) { return el('th', { 'class': h === 'replica' ? 'replica' : '', text: h }); }))]),
      el('tbody', {}, bars.map(function (b) {
        var left = b.forwardedBudgetMs !== null ? b.forwardedBudgetMs : (b.receivedBudgetMs === null ? null : Math.max(0, b.receivedBudgetMs - b.spentMs));
        var cells = [String(b.level), b.service, b.method, ms(b.receivedBudgetMs), ms(left), ms(b.spentMs), b.decayPct === null ? '–' : b.decayPct + '%', OUTCOME_TEXT[b.outcome] || b.outcome].concat(withReplica ? [b.replica || '–'] : []);
        return el('tr', {}, cells.map(function (c, i) {
          if (i === 8) return el('td', { 'class': 'replica', 'data-testid': 'hop-replica', text: c });
          return el('td', { 'class': i === 7 && b.outcome !== 'ok' ? 'bad' : '', text: c });
        }));
      })),
    ]);

    detailEl.replaceChildren.apply(detailEl, [
      el('div', { 'class': 'summary' }, [
        kv('request', r.method), kv('outcome', OUTCOME_TEXT[r.outcome] || r.outcome), kv('budget', ms(r.budgetMs)), kv('took', ms(r.spentMs)), kv('hops', String(bars.length)),
        stream ? kv('stream', stream.messages + ' events · first after ' + ms(stream.firstMessageMs) + ' · ' + stream.end) : null,
      ]),
      r.reason ? el('p', { 'class': 'reason', 'data-testid': 'reason', text: r.reason }) : null,
      r.traceId ? el('div', { 'class': 'trace', text: 'trace ' + r.traceId }) : null,
      scale, chart,
      el('div', { 'class': 'legend' }, [legend('var(--budget)', 'budget received'), legend('var(--used)', 'time worked'), legend('var(--bad)', 'failed hop'), legend('var(--deadline)', 'the deadline')]),
      table,
      el('p', { 'class': 'note', text: 'Hops carry budgets, not clocks: each hop starts at (edge budget − budget it received), so the reserves kept back upstream count as time before it started.' }),
    ].filter(Boolean));
  }
  function kv(k, v) { return el('div', {}, [el('span', { 'class': 'k', text: k }), el('span', { 'class': 'v', text: v })]); }
  function legend(color, text) { return el('span', {}, [el('i', { style: 'background:' + color }), document.createTextNode(text)]); }
  function scaleButton(value, text) {
    var b = el('button', { 'class': 'chip', 'aria-pressed': String(state.scale === value), text: text });
    b.addEventListener('click', function () { state.scale = value; state.shown = null; select(state.selected); });
    return b;
  }
  function niceStep(raw) {
    var p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 0.001))));
    var n = raw / p;
    return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
  }

  document.querySelectorAll('[data-filter]').forEach(function (chip) {
    chip.addEventListener('click', function () {
      state.filter = chip.getAttribute('data-filter');
      document.querySelectorAll('[data-filter]').forEach(function (c) { c.setAttribute('aria-pressed', String(c === chip)); });
      state.selected = null; state.shown = null;
      if (location.hash) history.replaceState(null, '', location.pathname + location.search);
      loadList();
    });
  });
  window.addEventListener('hashchange', function () { var id = Number((location.hash.match(/(\\d+)$/) || [])[1]); if (id) { state.shown = null; select(id); } });
  var timer = setInterval(function () { if (document.getElementById('live').checked) loadList().catch(function () {}); }, 2000);
  window.addEventListener('pagehide', function () { clearInterval(timer); });
  var initial = new URLSearchParams(location.search).get('outcome');
  if (initial) { var chip = document.querySelector('[data-filter="' + CSS.escape(initial) + '"]'); if (chip) { chip.click(); return; } }
  loadList().catch(function (e) { detailEl.replaceChildren(el('p', { 'class': 'empty', text: String(e) })); });
})();
</script>
</body>
</html>
`;
