// Analytics: the daily views of GET /api/v1/analytics/{view} (contract section 8) as charts, the
// rows as a table under them, and the same call as a curl command. The view, day range and agents
// are kept in the URL (#/analytics?view=tool_daily&from=...&to=...&agent_id=...), so a chart can be
// bookmarked or sent to a colleague.
import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import { COLORS, apiJson, busy, clearError, copyButton, curlCommand, downloadAs, el, field, formatNumber,
  showError } from './core.js';

const DAY_MS = 86400 * 1000;
const DEFAULT_DAYS = 30;
/** Days run to year 9999: an open range, or one longer than this, is drawn over the days with rows. */
const MAX_AXIS_DAYS = 3660;
/** Series per chart: more lines than this cannot be told apart; the table has every row. */
const TOP_SERIES = 5;
/** Rows in the table; the download and the curl command give all of them. */
const TABLE_ROWS = 1000;
const CHART_HEIGHT = 260;
/**
 * Tick spacings of the day axis, in seconds: whole days, then months and years (uPlot aligns
 * multiples of 30 and 365 days to calendar months and years). Its defaults include hours, which
 * would label rows of whole days with times such as 8am.
 */
const DAY_TICKS = [1, 2, 3, 4, 7, 10, 15, 30, 60, 90, 120, 180, 365, 730, 1825, 3650].map(days => days * 86400);

const VIEWS = {
  agent_daily: { label: 'Agent activity (agent_daily)', charts: agentCharts },
  tool_daily: { label: 'Tools (tool_daily)', charts: toolCharts },
  task_outcomes_daily: { label: 'Task outcomes (task_outcomes_daily)', charts: taskCharts },
  feedback_daily: { label: 'Feedback (feedback_daily)', charts: feedbackCharts },
};

export function render(main, params) {
  const view = el('select', { id: 'an-view', name: 'view' },
    Object.entries(VIEWS).map(([id, { label }]) => el('option', { value: id }, label)));
  // Text, not type=date: a date input shows the browser's locale format (say 03/31/2026) beside
  // labels that speak of UTC days; the API takes and the curl command shows YYYY-MM-DD.
  const from = dayInput('an-from', 'from');
  const to = dayInput('an-to', 'to');
  const agents = el('input', { id: 'an-agents', name: 'agent_id', size: 28, spellcheck: 'false',
    placeholder: 'all agents', 'aria-describedby': 'an-agents-hint' });
  const show = el('button', { type: 'submit', id: 'an-show' }, 'Show');
  const status = el('p', { id: 'an-status', class: 'muted', 'aria-live': 'polite' });
  const charts = el('div', { id: 'an-charts' });
  const rows = el('div', { id: 'an-rows', class: 'table-wrap' });
  const curl = el('pre', { id: 'an-curl', tabindex: '0', 'aria-label': 'Equivalent curl command' });
  const curlStatus = el('p', { class: 'muted', 'aria-live': 'polite' });
  const download = el('button', { type: 'button', id: 'an-download', class: 'secondary' }, 'Download CSV');

  main.append(
    el('h2', {}, 'Analytics'),
    el('form', { class: 'card', id: 'an-form', on: { submit: event => { event.preventDefault(); busy(show, load); } } },
      el('div', { class: 'row' },
        field('an-view', 'View', view),
        field('an-from', 'From (UTC day, included)', from),
        field('an-to', 'To (UTC day, left out)', to),
        field('an-agents', 'Agent ids (comma separated)', agents),
        show),
      el('p', { id: 'an-agents-hint', class: 'muted' }, 'Empty: all agents. On the tool, task and feedback views the'
        + ' agents select the records that are counted.')),
    status,
    charts,
    rows,
    el('section', { class: 'card', 'aria-labelledby': 'an-curl-heading' },
      el('h3', { id: 'an-curl-heading' }, 'The same rows with curl'),
      el('p', { class: 'muted' }, 'Set TOKEN to your token first: TOKEN=... (format=csv in the URL answers CSV).'),
      curl, el('div', { class: 'actions' }, copyButton('an-copy', curl, curlStatus), download), curlStatus));

  let plots = [];
  let latestRequest = 0;

  for (const input of [view, from, to, agents]) {
    input.addEventListener('input', update);
    input.addEventListener('change', update);
  }
  view.addEventListener('change', () => busy(show, load));
  download.addEventListener('click', () => busy(download, async () => {
    try {
      const fileName = view.value + '.csv';
      const size = await downloadAs(path([['format', 'csv']]), fileName);
      clearError();
      curlStatus.textContent = 'Downloaded ' + fileName + ' (' + size.toLocaleString('en-US') + ' bytes).';
    } catch (failure) {
      showError(failure);
    }
  }));

  function parameters() {
    const list = [];
    if (from.value.trim()) {
      list.push(['from', from.value.trim()]);
    }
    if (to.value.trim()) {
      list.push(['to', to.value.trim()]);
    }
    for (const agent of agentIds()) {
      list.push(['agent_id', agent]);
    }
    return list;
  }

  function agentIds() {
    return agents.value.split(',').map(agent => agent.trim()).filter(agent => agent !== '');
  }

  function path(extra = []) {
    const query = new URLSearchParams(parameters().concat(extra)).toString();
    return '/api/v1/analytics/' + encodeURIComponent(view.value) + (query ? '?' + query : '');
  }

  function update() {
    curl.textContent = curlCommand(path());
    history.replaceState(null, '', '#/analytics?' + new URLSearchParams([['view', view.value], ...parameters()]));
  }

  async function load() {
    const request = ++latestRequest;
    const chosen = { view: view.value, from: from.value, to: to.value, agents: agentIds() };
    status.textContent = 'Loading…';
    try {
      const found = await apiJson(path());
      // A slower answer to an earlier request must not replace the one asked for last.
      if (request !== latestRequest) {
        return;
      }
      clearError();
      showRows(chosen, found);
    } catch (failure) {
      if (request !== latestRequest) {
        return;
      }
      // No chart of an earlier request stays on screen under this request's error.
      clear();
      status.textContent = 'No rows shown: the request failed.';
      showError(failure);
    }
  }

  function clear() {
    plots.forEach(plot => plot.destroy());
    plots = [];
    charts.replaceChildren();
    rows.replaceChildren();
  }

  function showRows(chosen, found) {
    clear();
    const agentText = chosen.agents.length ? ' for ' + chosen.agents.join(', ') : ' for all agents';
    const rangeText = (chosen.from || 'the first day') + ' to ' + (chosen.to || 'the last day') + ' (left out)';
    if (found.length === 0) {
      status.textContent = 'No rows from ' + rangeText + agentText + '.';
      charts.append(el('p', { id: 'an-empty', class: 'card' }, 'Nothing was recorded in this range' + agentText
        + ': no chart to draw.'));
      return;
    }
    status.textContent = formatNumber(found.length) + (found.length === 1 ? ' row' : ' rows') + ' from ' + rangeText
      + agentText + '.';
    const days = axisDays(found, chosen.from, chosen.to);
    const specs = VIEWS[chosen.view].charts(found);
    const boxes = specs.map(spec => {
      const box = el('div', { class: 'chart', id: 'an-chart-' + spec.id, role: 'img',
        'aria-label': spec.title + ' per day: ' + spec.series.map(series => series.label).join(', '),
        dataset: { points: String(days.length), series: String(spec.series.length) } });
      charts.append(el('section', { class: 'card', 'aria-labelledby': 'an-heading-' + spec.id },
        el('h3', { id: 'an-heading-' + spec.id }, spec.title), el('p', { class: 'muted' }, spec.note), box));
      return box;
    });
    // Drawn once the boxes are on the page, so they have their width.
    plots = specs.map((spec, i) => plot(spec, days, boxes[i]));
    rows.append(table(chosen.view, found));
  }

  function onResize() {
    for (const chart of plots) {
      chart.setSize({ width: chartWidth(chart.root.parentElement), height: CHART_HEIGHT });
    }
  }

  // From the URL, else the last DEFAULT_DAYS days up to today (UTC) included.
  view.value = VIEWS[params.get('view')] ? params.get('view') : 'agent_daily';
  const today = new Date().toISOString().slice(0, 10);
  from.value = params.has('from') ? params.get('from') : addDays(today, 1 - DEFAULT_DAYS);
  to.value = params.has('to') ? params.get('to') : addDays(today, 1);
  agents.value = params.getAll('agent_id').join(', ');
  update();
  window.addEventListener('resize', onResize);
  busy(show, load);
  return () => {
    latestRequest++;
    window.removeEventListener('resize', onResize);
    clear();
  };
}

// ---------------------------------------------------------------- the charts of each view

// A chart: { id, title, note, axis (unit), format (a value as text), missing (a day without a row:
// 0 for counts, null, a gap, for rates and means), fromZero, series: [{ label, color, dash, values }] }
// with values a Map from day to number.

function agentCharts(rows) {
  const fields = ['events', 'tasks', 'tool_executions', 'tool_errors', 'messages'];
  return [{ id: 'activity', title: 'Records', axis: 'records', format: formatNumber, missing: 0, fromZero: true,
    note: 'Per day, summed over the agents asked for. A task counts on the day of its last update.',
    series: fields.map((name, i) => ({ label: name, color: color(i), values: dailySums(rows, row => row[name]) })) }];
}

function toolCharts(rows) {
  const { keys: tools, count } = topKeys(rows, row => row.tool_name, row => row.executions);
  const toolsNote = count > tools.length ? 'The ' + tools.length + ' of ' + count + ' tools with the most executions'
    + ' in the range (the table has them all).' : 'Every tool in the range.';
  const perTool = valueOf => tools.map((tool, i) => ({ label: tool, color: color(i),
    values: dailySums(rows.filter(row => row.tool_name === tool), valueOf) }));
  return [
    { id: 'tool-executions', title: 'Executions', axis: 'executions', format: formatNumber, missing: 0, fromZero: true,
      note: toolsNote, series: perTool(row => row.executions) },
    { id: 'tool-error-rate', title: 'Error rate', axis: '% errors', format: value => value.toFixed(1) + ' %',
      missing: null, fromZero: true, note: 'Errors / executions: an error or a status of error or failed. A gap: no'
        + ' execution that day.', series: perTool(row => row.error_rate === null ? null : row.error_rate * 100) },
    { id: 'tool-duration', title: 'Duration p50 and p95', axis: 'ms', format: milliseconds, missing: null,
      fromZero: true, note: 'p50 dashed, p95 solid, of duration_ms (interpolated). A gap: no duration that day.',
      series: tools.flatMap((tool, i) => [
        { label: tool + ' p50', color: color(i), dash: [6, 4],
          values: dailySums(rows.filter(row => row.tool_name === tool), row => row.p50_ms) },
        { label: tool + ' p95', color: color(i),
          values: dailySums(rows.filter(row => row.tool_name === tool), row => row.p95_ms) }]) },
  ];
}

function taskCharts(rows) {
  const { keys: statuses, count } = topKeys(rows, row => row.status, row => row.tasks, COLORS.length);
  return [{ id: 'task-status', title: 'Tasks per status', axis: 'tasks', format: formatNumber, missing: 0,
    fromZero: true, note: 'Summed over task types; a task counts on the day of its last update, under its status then.'
      + (count > statuses.length ? ' The ' + statuses.length + ' of ' + count + ' statuses with the most tasks.' : ''),
    series: statuses.map((status, i) => ({ label: status, color: color(i),
      values: dailySums(rows.filter(row => row.status === status), row => row.tasks) })) }];
}

function feedbackCharts(rows) {
  const nameOf = row => row.name + ' (' + row.target_kind + ')';
  const { keys: names, count } = topKeys(rows, nameOf, row => row.count);
  return [{ id: 'feedback-mean', title: 'Mean value', axis: 'mean value', format: formatNumber,
    missing: null, fromZero: false, note: 'Mean of value per feedback name (and target kind). A gap: no value'
      + ' that day (labels only, or none).'
      + (count > names.length ? ' The ' + names.length + ' of ' + count + ' names with the most feedback.' : ''),
    series: names.map((name, i) => ({ label: name, color: color(i),
      values: dailySums(rows.filter(row => nameOf(row) === name), row => row.mean) })) }];
}

/** Day to the sum of valueOf over the rows of that day; days whose values are all null are absent. */
function dailySums(rows, valueOf) {
  const sums = new Map();
  for (const row of rows) {
    const value = valueOf(row);
    if (value !== null && value !== undefined) {
      sums.set(row.day, (sums.get(row.day) || 0) + value);
    }
  }
  return sums;
}

/** The keys with the largest total weight (ties by name), and how many keys there are. */
function topKeys(rows, keyOf, weightOf, most = TOP_SERIES) {
  const totals = new Map();
  for (const row of rows) {
    totals.set(keyOf(row), (totals.get(keyOf(row)) || 0) + (weightOf(row) || 0));
  }
  const keys = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || (a < b ? -1 : a > b ? 1 : 0));
  return { keys: keys.slice(0, most), count: keys.length };
}

function color(index) {
  return COLORS[index % COLORS.length];
}

function milliseconds(value) {
  return value.toLocaleString('en-US', { maximumFractionDigits: 1 }) + ' ms';
}

// ---------------------------------------------------------------- drawing

function plot(spec, days, box) {
  const data = [days.map(day => Date.parse(day + 'T00:00:00Z') / 1000),
    ...spec.series.map(series => days.map(day => series.values.has(day) ? series.values.get(day) : spec.missing))];
  const shown = value => value === null || value === undefined ? '–' : spec.format(value);
  return new uPlot({
    width: chartWidth(box),
    height: CHART_HEIGHT,
    // Days are UTC days: labels in UTC, whatever the browser's time zone.
    tzDate: seconds => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: {
      // uPlot widens a time axis of one point by 86,400 of its units, which with seconds is 1,000
      // days: a day either side instead.
      x: { time: true, range: (self, min, max) => self.data[0].length === 1
        ? [self.data[0][0] - 86400, self.data[0][0] + 86400] : [min, max] },
      y: spec.fromZero ? { range: (self, min, max) => [0, Math.max(1, max ?? 0) * 1.1] } : {},
    },
    axes: [{ incrs: DAY_TICKS }, { label: spec.axis, size: valueAxisWidth }],
    series: [
      { label: 'day', value: (self, seconds) => seconds == null ? '–' : new Date(seconds * 1000).toISOString().slice(0, 10) },
      ...spec.series.map(series => ({ label: series.label, stroke: series.color, width: 2, dash: series.dash,
        value: (self, value) => shown(value) })),
    ],
  }, data, box);
}

/** Room for the longest tick value (150,000 needs more than 1.5), so it never runs into the axis label. */
function valueAxisWidth(self, values) {
  const longest = (values || []).reduce((most, value) => Math.max(most, String(value).length), 0);
  return Math.max(50, 16 + longest * 8);
}

function chartWidth(box) {
  return Math.max(260, box.clientWidth);
}

/**
 * The days of the x axis: every day of the range, so a day without rows shows (as 0 or a gap);
 * an open end, or a range longer than MAX_AXIS_DAYS, ends at the first or last day with rows.
 */
function axisDays(rows, from, to) {
  const seen = rows.map(row => row.day).sort();
  let first = from || seen[0];
  let last = to ? addDays(to, -1) : seen[seen.length - 1];
  if ((Date.parse(last) - Date.parse(first)) / DAY_MS > MAX_AXIS_DAYS) {
    first = first > seen[0] ? first : seen[0];
    last = last < seen[seen.length - 1] ? last : seen[seen.length - 1];
  }
  const days = [];
  for (let day = first; day <= last; day = addDays(day, 1)) {
    days.push(day);
  }
  return days;
}

/** A day field as the API and the curl command write days: YYYY-MM-DD (a bad one gets the API's 400). */
function dayInput(id, name) {
  return el('input', { id, name, type: 'text', pattern: '\\d{4}-\\d{2}-\\d{2}',
    placeholder: 'YYYY-MM-DD', size: 11, maxlength: 10, spellcheck: 'false', autocomplete: 'off' });
}

/** A YYYY-MM-DD day plus n days (UTC). */
function addDays(day, n) {
  return new Date(Date.parse(day + 'T00:00:00Z') + n * DAY_MS).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- the table

function table(viewId, found) {
  const names = Object.keys(found[0]);
  const shown = found.slice(0, TABLE_ROWS);
  return el('table', { class: 'cards', id: 'an-table', dataset: { view: viewId } },
    el('caption', { class: found.length > TABLE_ROWS ? 'muted' : 'visually-hidden' },
      found.length > TABLE_ROWS ? 'The first ' + formatNumber(TABLE_ROWS) + ' of ' + formatNumber(found.length)
        + ' rows: download the CSV or use the curl command for all.' : 'The rows of the view, as the API answers them'),
    el('thead', {}, el('tr', {}, names.map(name => el('th', { scope: 'col', class: isNumeric(found, name) ? 'num' : null }, name)))),
    el('tbody', {}, shown.map(row => el('tr', {},
      names.map(name => el('td', { 'data-label': name, dataset: { column: name },
        class: typeof row[name] === 'number' ? 'num' : null }, cell(row[name])))))));
}

function isNumeric(found, name) {
  return found.some(row => typeof row[name] === 'number');
}

function cell(value) {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    return formatNumber(value);
  }
  if (typeof value === 'object') {
    // tasks_by_status: {status: count}
    return Object.entries(value).map(([key, count]) => key + ': ' + formatNumber(count)).join(', ');
  }
  return String(value);
}
