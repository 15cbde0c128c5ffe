// Tally's dashboard: plain JavaScript over the HTTP API, refreshed every few seconds. What it draws is
// also kept in data attributes (data-value, data-points), which DashboardIT compares with the API.
(function () {
  'use strict';
  const REFRESH_MS = 5000;
  const state = { counter: new URLSearchParams(location.search).get('counter') || '', charts: {} };
  const $ = (id) => document.getElementById(id);
  $('token').value = localStorage.getItem('tally.token') || '';
  $('counter').value = state.counter;

  async function api(path, options) {
    const headers = {};
    const token = $('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch(path, Object.assign({ headers }, options || {}));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(path + ': ' + response.status + ' ' + (body.error || ''));
    }
    return body;
  }

  function show(id, value) {
    const element = $(id);
    element.dataset.value = String(value);
    element.textContent = typeof value === 'number' || typeof value === 'bigint'
      ? Number(value).toLocaleString('en') : String(value);
  }

  function chart(id, series, step) {
    const xs = series.windows.map((w) => Date.parse(w.start) / 1000);
    const ys = series.windows.map((w) => w.count);
    const element = $(id);
    element.dataset.points = JSON.stringify(series.windows.map((w) => [w.start, w.count]));
    element.dataset.from = series.windows.length ? series.windows[0].start : '';
    const data = [xs, ys];
    if (state.charts[id]) {
      state.charts[id].setData(data);
      return;
    }
    element.textContent = '';
    state.charts[id] = new uPlot({
      width: Math.min(1000, element.clientWidth || 1000), height: 200,
      scales: { x: { time: true } },
      series: [{}, { label: 'count per ' + step, stroke: '#2a62c9', fill: 'rgba(42,98,201,.12)', paths: uPlot.paths.bars({ size: [0.8] }) }],
      axes: [{}, { size: 60 }],
    }, data, element);
  }

  async function refreshCounter() {
    if (!state.counter) {
      $('counter-panel').hidden = true;
      return;
    }
    const id = encodeURIComponent(state.counter);
    const now = new Date();
    const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000);
    const [total, uniques, hour, day] = await Promise.all([
      api('/v1/counters/' + id),
      api('/v1/counters/' + id + '/uniques'),
      api('/v1/counters/' + id + '/windows?size=PT1M'),
      api('/v1/counters/' + id + '/windows?size=PT1H&from=' + dayAgo.toISOString() + '&to=' + now.toISOString()),
    ]);
    $('counter-panel').hidden = false;
    $('counter-name').textContent = total.counter;
    show('total', total.total);
    show('increments', total.increments);
    show('decrements', total.decrements);
    show('shards', total.shards);
    show('uniques', uniques.estimate);
    show('uniques-lower', uniques.lowerBound);
    show('uniques-upper', uniques.upperBound);
    chart('chart-hour', hour, 'minute');
    chart('chart-day', day, 'hour');
  }

  async function refreshTop() {
    const top = await api('/v1/top?limit=10');
    const rows = top.counters.map((c) => {
      const row = document.createElement('tr');
      row.dataset.counter = c.counter;
      row.dataset.events = String(c.events);
      const link = document.createElement('a');
      link.textContent = c.counter;
      link.onclick = () => select(c.counter);
      row.append(cell(link), cell(c.events.toLocaleString('en')), cell(c.perSecond.toFixed(1)));
      return row;
    });
    $('top').tBodies[0].replaceChildren(...rows);
    if (!state.counter && top.counters.length) select(top.counters[0].counter);
  }

  async function refreshInstances() {
    const instances = await api('/v1/instances');
    $('instances').tBodies[0].replaceChildren(...instances.map((i) => {
      const row = document.createElement('tr');
      row.dataset.address = i.address;
      row.dataset.state = i.state;
      row.dataset.lag = String(i.lag);
      row.append(cell(i.address + (i.self ? ' (this one)' : '')), cell(i.state),
        cell(i.lag < 0 ? 'unknown' : i.lag.toLocaleString('en')),
        cell(inputPartitions(i.activePartitions)), cell(inputPartitions(i.standbyPartitions)));
      return row;
    }));
  }

  /** The partitions of tally.increments among a task's topic-partitions: "0, 3, 5". */
  function inputPartitions(topicPartitions) {
    return topicPartitions.filter((p) => /^tally\.increments-\d+$/.test(p))
      .map((p) => p.substring(p.lastIndexOf('-') + 1)).join(', ');
  }

  function cell(content) {
    const td = document.createElement('td');
    td.append(content);
    return td;
  }

  function select(counter) {
    state.counter = counter;
    $('counter').value = counter;
    history.replaceState(null, '', '?counter=' + encodeURIComponent(counter));
    refresh();
  }

  async function refresh() {
    const results = await Promise.allSettled([refreshCounter(), refreshTop(), refreshInstances()]);
    const failed = results.filter((r) => r.status === 'rejected').map((r) => r.reason.message);
    $('status').textContent = failed.join('; ');
    document.body.dataset.refreshed = new Date().toISOString();
  }

  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    select($('counter').value.trim());
  });
  $('token').addEventListener('change', () => {
    localStorage.setItem('tally.token', $('token').value.trim());
    refresh();
  });
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
