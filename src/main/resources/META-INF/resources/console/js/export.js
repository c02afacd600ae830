// Export builder: kind, format, range, filters and limit; shows the equivalent curl command,
// previews the first rows and downloads the export with the token (fetch, then a Blob: for
// exports of many gigabytes use the curl command, which streams to disk).
import uPlot from '/webjars/uplot/dist/uPlot.esm.js';
import { apiJson, busy, clearError, COLORS, copyButton, curlCommand, downloadAs, el, exportPath, exportRows, field,
  formatNumber, showError, storeKinds } from './core.js';
import { saveAsVersion } from './versions.js';

// Text columns to suggest per kind (the API accepts a filter on any text column of the kind and
// answers 400 naming them for any other).
const COLUMNS = {
  events: ['agent_id', 'event_type', 'event_id', 'task_id', 'workflow_id', 'session_id'],
  tasks: ['task_id', 'agent_id', 'status', 'task_type', 'workflow_id', 'error'],
  tool_executions: ['execution_id', 'agent_id', 'tool_name', 'task_id', 'workflow_id', 'status', 'error'],
  workflows: ['workflow_id', 'workflow_type', 'phase'],
  messages: ['conversation_id', 'role', 'message_id', 'agent_id', 'task_id', 'name', 'tool_call_id'],
  feedback: ['target_kind', 'target_id', 'name', 'label', 'source', 'agent_id', 'feedback_id'],
  'dataset:conversations': ['conversation_id', 'agent_id', 'task_id', 'task_status', 'has_tools', 'min_score',
    'max_score', 'split', 'validation_fraction', 'test_fraction', 'split_seed', 'metadata', 'after'],
  'dataset:trajectories': ['task_id', 'agent_id', 'workflow_id', 'task_type', 'status', 'min_score', 'max_score',
    'split', 'validation_fraction', 'test_fraction', 'split_seed', 'after'],
  'dataset:preferences': ['conversation_id', 'agent_id', 'task_id', 'task_status', 'has_tools', 'min_score',
    'max_score', 'split', 'validation_fraction', 'test_fraction', 'split_seed', 'metadata', 'after'],
};
/** Datasets offered beside the kinds, with their formats (the first is the default). */
const DATASETS = ['dataset:conversations', 'dataset:trajectories', 'dataset:preferences'];
const FORMATS = {
  row: [['jsonl', 'JSON lines (jsonl)'], ['csv', 'CSV']],
  'dataset:conversations': [['openai', 'OpenAI chat fine-tuning (openai)'], ['messages', 'Hugging Face / TRL (messages)']],
  // One shape only: the first format is never sent, so the request carries no format parameter.
  'dataset:trajectories': [['atif', 'ATIF trajectories (ATIF-v1.4)']],
  'dataset:preferences': [['openai', 'OpenAI preference fine-tuning (openai)'], ['trl', 'TRL / DPO pairs (trl)'],
    ['kto', 'TRL unpaired, KTO (kto; needs a score)']],
};
const IDENTITY = { events: 'event_id', tasks: 'task_id', tool_executions: 'execution_id', workflows: 'workflow_id',
  messages: 'message_id', feedback: 'feedback_id' };
const PREVIEW_ROWS = 50;
/** Dataset options with fields of their own (contract 6.5), and the datasets that take each. */
const DATASET_OPTIONS = { max_tokens: ['dataset:conversations', 'dataset:trajectories'],
  tokenizer: ['dataset:conversations', 'dataset:trajectories'], dedup: ['dataset:conversations'],
  pairs: ['dataset:preferences'], score: ['dataset:preferences'], margin: ['dataset:preferences'],
  threshold: ['dataset:preferences'] };
/** The token figures of a summary, in the order the chart draws them. */
const TOKEN_FIGURES = ['min', 'median', 'p95', 'max'];

export function render(main, params) {
  const kind = el('select', { id: 'ex-kind', name: 'kind' });
  const format = el('select', { id: 'ex-format', name: 'format' });
  // Placeholders short enough to show whole in the field, at any width the page gives it.
  const from = el('input', { id: 'ex-from', name: 'from', placeholder: 'YYYY-MM-DD or an instant', size: 26 });
  const to = el('input', { id: 'ex-to', name: 'to', placeholder: 'YYYY-MM-DD or an instant', size: 26 });
  const limit = el('input', { id: 'ex-limit', name: 'limit', type: 'number', min: '0', step: '1', size: 8 });
  // Dataset options: the most tokens a line may count, the encoding, duplicates left out.
  const maxTokens = el('input', { id: 'ex-max-tokens', name: 'max_tokens', type: 'number', min: '1', step: '1', size: 8 });
  const tokenizer = el('select', { id: 'ex-tokenizer', name: 'tokenizer' },
    el('option', { value: '' }, 'service default'), el('option', { value: 'o200k_base' }, 'o200k_base'),
    el('option', { value: 'cl100k_base' }, 'cl100k_base'));
  const dedup = el('select', { id: 'ex-dedup', name: 'dedup' },
    el('option', { value: '' }, 'keep duplicates'), el('option', { value: 'exact' }, 'exact'),
    el('option', { value: 'near' }, 'near'));
  const dedupField = field('ex-dedup', 'Duplicates (dedup)', dedup);
  const tokenFields = el('div', { class: 'row' }, field('ex-max-tokens', 'Most tokens a line (max_tokens)', maxTokens),
    field('ex-tokenizer', 'Tokenizer', tokenizer), dedupField);
  // Preferences (contract 6.3): which pairs, the feedback that ranks siblings (and labels KTO lines),
  // the least score difference of a ranked pair, and the KTO label threshold.
  const pairs = el('select', { id: 'ex-pairs', name: 'pairs' },
    el('option', { value: '' }, 'service default: corrections, plus ranked with a score'),
    el('option', { value: 'corrections' }, 'corrections'), el('option', { value: 'ranked' }, 'ranked'),
    el('option', { value: 'corrections,ranked' }, 'corrections and ranked'));
  const score = el('input', { id: 'ex-score', name: 'score', placeholder: 'e.g. reward', size: 20 });
  const margin = el('input', { id: 'ex-margin', name: 'margin', type: 'number', step: 'any', min: '0', size: 8,
    placeholder: '0' });
  const threshold = el('input', { id: 'ex-threshold', name: 'threshold', type: 'number', step: 'any', size: 8,
    placeholder: '0.5' });
  const preferenceFields = el('div', { class: 'row', id: 'ex-preference-options' },
    field('ex-pairs', 'Pairs', pairs), field('ex-score', 'Score (feedback name)', score),
    field('ex-margin', 'Margin (ranked)', margin), field('ex-threshold', 'Threshold (kto)', threshold));
  const summaryButton = el('button', { type: 'button', class: 'secondary', id: 'ex-summary' }, 'Summary');
  const summaryText = el('p', { id: 'ex-summary-text', class: 'muted', 'aria-live': 'polite' });
  const tokensChart = el('div', { id: 'ex-tokens-chart', role: 'img', 'aria-label': 'Tokens per line' });
  const datasetOptions = el('section', { class: 'card', id: 'ex-dataset-options', 'aria-labelledby': 'ex-dataset-heading' },
    el('h3', { id: 'ex-dataset-heading' }, 'Dataset options'),
    preferenceFields, tokenFields,
    el('div', { class: 'actions' }, summaryButton), summaryText, tokensChart);
  let chart = null;
  const filters = el('div', { id: 'ex-filters' });
  const columns = el('datalist', { id: 'ex-columns' });
  const addFilter = el('button', { type: 'button', class: 'secondary', id: 'ex-add-filter' }, 'Add filter');
  const curl = el('pre', { id: 'ex-curl', tabindex: '0', 'aria-label': 'Equivalent curl command' });
  const preview = el('button', { type: 'button', id: 'ex-preview' }, 'Preview rows');
  const download = el('button', { type: 'button', id: 'ex-download' }, 'Download');
  const status = el('p', { id: 'ex-status', class: 'muted', 'aria-live': 'polite' });
  const rows = el('div', { id: 'ex-rows', class: 'table-wrap' });
  const copy = copyButton('ex-copy', curl, status);
  const version = saveAsVersion(() => kind.value, () => parameters());

  main.append(
    el('h2', {}, 'Export builder'),
    el('form', { class: 'card', id: 'ex-form', on: { submit: event => { event.preventDefault(); busy(preview, showPreview); } } },
      el('div', { class: 'row' },
        field('ex-kind', 'Kind', kind), field('ex-format', 'Format', format),
        field('ex-from', 'From (inclusive, occurred_at)', from), field('ex-to', 'To (exclusive)', to),
        field('ex-limit', 'Limit (rows)', limit)),
      el('h3', {}, 'Filters'),
      el('p', { class: 'muted' }, 'column = value; a column given twice means any of the values, different columns combine with AND.'),
      filters, columns, addFilter),
    datasetOptions,
    el('section', { class: 'card', 'aria-labelledby': 'ex-curl-heading' },
      el('h3', { id: 'ex-curl-heading' }, 'The same export with curl'),
      el('p', { class: 'muted' }, 'Set TOKEN to your token first: TOKEN=...'),
      curl, el('div', { class: 'actions' }, copy, preview, download), status),
    version.section,
    rows);

  for (const input of [kind, format, from, to, limit, maxTokens, tokenizer, dedup, pairs, score, margin, threshold]) {
    input.addEventListener('input', update);
    input.addEventListener('change', update);
  }
  kind.addEventListener('change', () => { fillColumns(); fillFormats(); showDatasetOptions(); update(); });
  summaryButton.addEventListener('click', () => busy(summaryButton, showSummary));
  addFilter.addEventListener('click', () => { addFilterRow('', ''); update(); });
  preview.addEventListener('click', () => busy(preview, showPreview));
  download.addEventListener('click', () => busy(download, downloadFile));

  let filterCount = 0;
  function addFilterRow(column, value) {
    const n = ++filterCount;
    const name = el('input', { id: 'ex-filter-column-' + n, list: 'ex-columns', value: column, size: 16,
      dataset: { filterColumn: '' } });
    const text = el('input', { id: 'ex-filter-value-' + n, value, size: 24, dataset: { filterValue: '' } });
    const remove = el('button', { type: 'button', class: 'danger', 'aria-label': 'Remove filter ' + n }, 'Remove');
    const rowNode = el('div', { class: 'row', dataset: { filter: String(n) } },
      field(name.id, 'Column', name), field(text.id, 'Value', text), remove);
    name.addEventListener('input', update);
    text.addEventListener('input', update);
    remove.addEventListener('click', () => { rowNode.remove(); update(); });
    filters.append(rowNode);
  }

  function formats() {
    return FORMATS[kind.value] || FORMATS.row;
  }

  function fillFormats(chosen) {
    format.replaceChildren(...formats().map(([value, label]) => el('option', { value }, label)));
    format.value = formats().some(([value]) => value === chosen) ? chosen : formats()[0][0];
  }

  function fillColumns() {
    columns.replaceChildren(...(COLUMNS[kind.value] || []).map(column => el('option', { value: column })));
  }

  function parameters(extra = []) {
    const list = [];
    if (format.value !== formats()[0][0]) {
      list.push(['format', format.value]);
    }
    if (from.value.trim()) {
      list.push(['from', from.value.trim()]);
    }
    if (to.value.trim()) {
      list.push(['to', to.value.trim()]);
    }
    for (const row of filters.querySelectorAll('[data-filter]')) {
      const column = row.querySelector('[data-filter-column]').value.trim();
      if (column) {
        list.push([column, row.querySelector('[data-filter-value]').value]);
      }
    }
    if (limit.value.trim()) {
      list.push(['limit', limit.value.trim()]);
    }
    const options = { max_tokens: maxTokens.value.trim(), tokenizer: tokenizer.value, dedup: dedup.value,
      pairs: pairs.value, score: score.value.trim(), margin: margin.value.trim(), threshold: threshold.value.trim() };
    for (const [name, value] of Object.entries(options)) {
      if (value && DATASET_OPTIONS[name].includes(kind.value)) {
        list.push([name, value]);
      }
    }
    return list.concat(extra);
  }

  function showDatasetOptions() {
    datasetOptions.hidden = !kind.value.startsWith('dataset:');
    dedupField.hidden = !DATASET_OPTIONS.dedup.includes(kind.value);
    tokenFields.hidden = !DATASET_OPTIONS.max_tokens.includes(kind.value);
    preferenceFields.hidden = !DATASET_OPTIONS.pairs.includes(kind.value);
  }
  /** The dataset's summary for the same parameters: lines, left out, and the tokens per line as a chart. */
  async function showSummary() {
    try {
      const path = exportPath(kind.value, parameters().filter(([name]) => name !== 'after'))
        .replace(/^([^?]*)/, '$1/summary');
      const summary = await apiJson(path);
      clearError();
      const lines = summary.emitted ?? summary.lines ?? 0;
      const skipped = Object.values(summary.skipped || {}).reduce((sum, count) => sum + count, 0);
      const tokens = summary.tokens;
      // Preferences count their pairs by kind (KTO lines are not pairs: both 0 there).
      const pairCounts = summary.pairs ? ' (pairs: ' + Object.entries(summary.pairs)
        .map(([name, count]) => name + ' ' + formatNumber(count)).join(', ') + ')' : '';
      summaryText.textContent = formatNumber(lines) + ' lines' + pairCounts + ', ' + formatNumber(skipped)
        + ' left out; tokens per line ('
        + tokens.encoding + '): ' + TOKEN_FIGURES.map(name => name + ' ' + formatNumber(tokens[name])).join(', ')
        + '; total ' + formatNumber(tokens.total) + '.';
      drawTokens(tokens);
    } catch (failure) {
      showError(failure);
    }
  }
  /** min, median, p95 and max as four bars; the figures also as data attributes for the page's tests. */
  function drawTokens(tokens) {
    TOKEN_FIGURES.forEach(name => { tokensChart.dataset[name] = String(tokens[name]); });
    const data = [[0, 1, 2, 3], TOKEN_FIGURES.map(name => tokens[name])];
    if (chart) {
      chart.destroy();
    }
    chart = new uPlot({
      width: Math.max(280, Math.min(520, tokensChart.clientWidth || 520)), height: 180,
      scales: { x: { time: false, range: [-0.6, 3.6] }, y: { range: (self, min, max) => [0, Math.max(1, max ?? 0) * 1.1] } },
      axes: [{ values: (self, ticks) => ticks.map(tick => TOKEN_FIGURES[tick] ?? ''), splits: () => [0, 1, 2, 3] },
        { label: 'tokens', size: 60 }],
      legend: { show: false },
      series: [{}, { label: 'tokens', stroke: COLORS[0], fill: COLORS[0] + '59', width: 1,
        paths: uPlot.paths.bars({ size: [0.6, 80] }), points: { show: false } }],
    }, data, tokensChart);
  }
  function fileName() {
    return kind.value.replace('dataset:', '') + '.' + (format.value === 'csv' ? 'csv' : 'jsonl');
  }

  function update() {
    curl.textContent = curlCommand(exportPath(kind.value, parameters()), fileName());
    const hash = '#/export?' + new URLSearchParams([['kind', kind.value], ...parameters()]);
    history.replaceState(null, '', hash);
    version.update();
  }

  async function showPreview() {
    try {
      // The preview reads JSON lines whatever the chosen format (a dataset's format is kept: its
      // lines are JSON either way), at most PREVIEW_ROWS rows.
      const keepFormat = kind.value.startsWith('dataset:');
      const chosen = parameters().filter(([name]) => (keepFormat || name !== 'format') && name !== 'limit');
      const cap = Math.min(PREVIEW_ROWS, limit.value.trim() ? Number(limit.value) : PREVIEW_ROWS);
      const found = await exportRows(kind.value, chosen.concat([['limit', String(cap)]]));
      clearError();
      status.textContent = found.length + (found.length === cap && cap === PREVIEW_ROWS
        ? ' rows shown (the first ' + PREVIEW_ROWS + ' of the export)' : ' rows: the whole export');
      showRows(found);
    } catch (failure) {
      showError(failure);
    }
  }

  function showRows(found) {
    const identity = IDENTITY[kind.value];
    const names = found.length ? Object.keys(found[0]).filter(name => name !== 'attributes') : [];
    rows.replaceChildren(el('table', { id: 'ex-table' },
      el('thead', {}, el('tr', {}, names.map(name => el('th', { scope: 'col' }, name)))),
      el('tbody', {}, found.map(row => el('tr', { dataset: { identity: String(row[identity] ?? '') } },
        names.map(name => el('td', {}, cell(row[name]))))))));
  }

  function cell(value) {
    if (value === null || value === undefined) {
      return '';
    }
    const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
    return text.length > 120 ? text.slice(0, 119) + '…' : text;
  }

  async function downloadFile() {
    try {
      const size = await downloadAs(exportPath(kind.value, parameters()), fileName());
      clearError();
      status.textContent = 'Downloaded ' + fileName() + ' (' + size.toLocaleString('en-US') + ' bytes).';
    } catch (failure) {
      showError(failure);
    }
  }

  // Start from the URL (#/export?kind=...&agent_id=...), so a built export can be bookmarked.
  function start(kinds) {
    kind.replaceChildren(...kinds.map(id => el('option', { value: id }, id)),
      ...DATASETS.map(id => el('option', { value: id }, id.replace('dataset:', 'dataset: '))));
    const offered = kinds.concat(DATASETS);
    kind.value = offered.includes(params.get('kind')) ? params.get('kind') : kinds[0];
    fillFormats(params.get('format'));
    // The parameters with a field of their own; any other is a filter.
    const fields = { from, to, limit, max_tokens: maxTokens, tokenizer, dedup, pairs, score, margin, threshold };
    for (const [name, value] of params) {
      if (name === 'kind' || name === 'format') {
        continue;
      } else if (Object.hasOwn(fields, name)) {
        fields[name].value = value;
      } else {
        addFilterRow(name, value);
      }
    }
    fillColumns();
    showDatasetOptions();
    update();
  }

  storeKinds().then(start).catch(failure => {
    start(Object.keys(COLUMNS).filter(id => id !== 'feedback'));
    showError(failure);
  });
  return null;
}
