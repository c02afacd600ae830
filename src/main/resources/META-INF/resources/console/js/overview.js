// Overview: per kind rows, stream length, pending, lag and dead letters from GET /api/v1/stats,
// refreshed every few seconds (?refresh=<seconds>), and the ingest rate of the last minutes,
// computed from the change in rows between successive samples.
import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import { COLORS, apiJson, clearError, el, formatNumber, showError } from './core.js';

const FIELDS = [
  ['rows', 'Rows stored'],
  ['stream_length', 'Stream length'],
  ['pending', 'Pending'],
  ['lag', 'Lag'],
  ['dead_letters', 'Dead letters'],
];
const WINDOW_SECONDS = 600;

export function render(main, params) {
  const refreshSeconds = Math.max(1, Number(params.get('refresh')) || 5);
  const samples = [];
  let timer = null;
  let paused = false;
  let chart = null;
  let chartKinds = [];
  let gone = false;

  const updated = el('span', { id: 'overview-updated', class: 'muted', 'aria-live': 'polite' }, 'Loading…');
  const pause = el('button', { type: 'button', class: 'secondary', id: 'overview-pause', 'aria-pressed': 'false' }, 'Pause');
  const totals = el('div', { class: 'totals', id: 'overview-totals' });
  const body = el('tbody');
  const table = el('table', { class: 'cards', id: 'overview-table' },
    el('caption', { class: 'visually-hidden' }, 'Per kind: rows stored, stream length, pending, lag, dead letters'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Kind'), el('th', { scope: 'col' }, 'Stream'),
      FIELDS.map(([, label]) => el('th', { scope: 'col', class: 'num' }, label)))),
    body);
  const chartBox = el('div', { class: 'chart', id: 'overview-chart', role: 'img',
    'aria-label': 'Records stored per second per kind over the last minutes' });
  const chartNote = el('p', { class: 'muted' }, 'Rows stored per second per kind, from successive samples of the stats (every '
    + refreshSeconds + ' s, last ' + WINDOW_SECONDS / 60 + ' minutes while this page is open).');

  main.append(
    el('div', { class: 'row' }, el('h2', {}, 'Overview'), updated, pause),
    totals,
    el('div', { class: 'table-wrap' }, table),
    el('section', { class: 'card', 'aria-labelledby': 'rate-heading' },
      el('h3', { id: 'rate-heading' }, 'Ingest rate'), chartNote, chartBox));

  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (!paused) {
      tick();
    }
  });

  function showStats(stats) {
    const kinds = Object.entries(stats.kinds);
    const sum = field => kinds.reduce((total, [, figures]) => total + Math.max(0, figures[field] || 0), 0);
    totals.replaceChildren(
      total('Rows stored', sum('rows'), 'rows'),
      total('Waiting (lag)', sum('lag'), 'lag'),
      total('Pending', sum('pending'), 'pending'),
      total('Dead letters', stats.dead_letters, 'dead_letters'));
    body.replaceChildren(...kinds.map(([kind, figures]) => el('tr',
      { dataset: { kind }, class: figures.dead_letters > 0 || figures.lag > 0 ? 'attention' : null },
      el('th', { scope: 'row', 'data-label': 'Kind' }, kind),
      el('td', { 'data-label': 'Stream' }, el('code', {}, figures.stream)),
      FIELDS.map(([field, label]) => el('td', { class: 'num', 'data-label': label, dataset: { field } },
        field === 'dead_letters' && figures[field] > 0
          ? el('a', { href: '#/dead-letters' }, formatNumber(figures[field]))
          : formatNumber(figures[field]))))));
    updated.textContent = 'Updated ' + new Date().toLocaleTimeString('en-GB') + (paused ? ' (paused)' : '');
  }

  function total(label, value, field) {
    return el('div', { class: 'total', dataset: { total: field } }, el('div', { class: 'label' }, label),
      el('div', { class: 'value' }, formatNumber(value)));
  }

  function record(stats) {
    const now = Date.now() / 1000;
    const rows = {};
    for (const [kind, figures] of Object.entries(stats.kinds)) {
      rows[kind] = figures.rows;
    }
    samples.push({ time: now, rows });
    while (samples.length > 2 && samples[0].time < now - WINDOW_SECONDS) {
      samples.shift();
    }
    drawChart(Object.keys(stats.kinds));
  }

  function chartData(kinds) {
    const times = [];
    const series = kinds.map(() => []);
    for (let i = 1; i < samples.length; i++) {
      const seconds = samples[i].time - samples[i - 1].time;
      times.push(samples[i].time);
      kinds.forEach((kind, k) => {
        const before = samples[i - 1].rows[kind];
        const after = samples[i].rows[kind];
        series[k].push(before === undefined || after === undefined || seconds <= 0
          ? null : Math.max(0, (after - before) / seconds));
      });
    }
    chartBox.dataset.points = String(times.length);
    return [times, ...series];
  }

  function drawChart(kinds) {
    const width = Math.max(280, chartBox.clientWidth || main.clientWidth - 40);
    if (!chart || kinds.join() !== chartKinds.join()) {
      if (chart) {
        chart.destroy();
      }
      chartKinds = kinds;
      chart = new uPlot({
        width, height: 240,
        // At least a minute wide, so the first samples do not stretch over a made-up range; before
        // the second sample there is no point at all: the minute up to now, not a range from 1970.
        scales: { x: { time: true, range: (self, min, max) => {
          const end = max ?? Date.now() / 1000;
          return [Math.min(min ?? end - 60, end - 60), end];
        } },
          y: { range: (self, min, max) => [0, Math.max(1, max ?? 0) * 1.1] } },
        axes: [{}, { label: 'rows/s', size: 60 }],
        // The time span drawn, for the reader of the page's markup (and its tests): seconds since 1970.
        hooks: { setScale: [(self, key) => {
          if (key === 'x') {
            chartBox.dataset.xMin = String(Math.round(self.scales.x.min));
            chartBox.dataset.xMax = String(Math.round(self.scales.x.max));
          }
        }] },
        series: [{}, ...kinds.map((kind, i) => ({ label: kind, stroke: COLORS[i % COLORS.length], width: 2,
          value: (self, value) => value === null ? '–' : value.toFixed(1) }))],
      }, chartData(kinds), chartBox);
    } else {
      chart.setData(chartData(kinds));
    }
  }

  function onResize() {
    if (chart) {
      chart.setSize({ width: Math.max(280, chartBox.clientWidth), height: 240 });
    }
  }

  async function tick() {
    clearTimeout(timer);
    try {
      const stats = await apiJson('/api/v1/stats');
      if (gone) {
        return;
      }
      clearError();
      showStats(stats);
      record(stats);
    } catch (failure) {
      updated.textContent = 'Not updated';
      showError(failure);
    }
    if (!paused) {
      timer = setTimeout(tick, refreshSeconds * 1000);
    }
  }

  window.addEventListener('resize', onResize);
  tick();
  return () => {
    gone = true;
    clearTimeout(timer);
    paused = true;
    window.removeEventListener('resize', onResize);
    if (chart) {
      chart.destroy();
    }
  };
}
