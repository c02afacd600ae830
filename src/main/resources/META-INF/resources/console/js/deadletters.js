// Dead letters: GET /api/v1/dead-letters (scope export), filtered by error code in the page,
// replayed one by one or all at once with POST /api/v1/dead-letters/replay (scope ingest); what
// comes back still bad is listed with its reason.
import { apiJson, busy, clearError, el, showError } from './core.js';

const CODES = ['missing_field', 'malformed_json', 'not_an_object', 'bad_timestamp', 'bad_integer', 'bad_value',
  'too_large', 'delivery_limit'];
const PAGE = 200;

export function render(main, params) {
  let letters = [];
  let nextAfter = null;
  const filter = el('select', { id: 'dl-filter' });
  const count = el('span', { id: 'dl-count', class: 'muted', 'aria-live': 'polite' });
  const list = el('div', { id: 'dl-list' });
  const outcome = el('section', { id: 'dl-outcome', class: 'card', 'aria-live': 'polite', hidden: true });
  const reload = el('button', { type: 'button', class: 'secondary', id: 'dl-reload' }, 'Reload');
  const more = el('button', { type: 'button', class: 'secondary', id: 'dl-more', hidden: true }, 'Load more');
  const replayAll = el('button', { type: 'button', id: 'dl-replay-all' }, 'Replay all');

  main.append(
    el('h2', {}, 'Dead letters'),
    el('p', { class: 'muted' }, 'Entries that could not be stored, with the reason. Replay validates each again: a valid one'
      + ' goes back to its stream and is stored as usual; one still bad stays here with its reason. Fix the publisher'
      + ' (or publish a corrected record) for entries that stay bad.'),
    el('div', { class: 'row card' },
      el('div', { class: 'field' }, el('label', { for: 'dl-filter' }, 'Error code'), filter),
      reload, replayAll, count),
    outcome,
    list,
    more);

  filter.addEventListener('change', show);
  reload.addEventListener('click', () => busy(reload, load));
  more.addEventListener('click', () => busy(more, () => load(nextAfter)));
  replayAll.addEventListener('click', () => busy(replayAll, () => {
    const shown = visible();
    // No filter: the API replays every dead letter, also those not loaded yet.
    return replay(filter.value ? shown.map(letter => letter.id) : null);
  }));

  function visible() {
    return letters.filter(letter => !filter.value || letter.error_code === filter.value);
  }

  function fillFilter() {
    const present = new Set(letters.map(letter => letter.error_code));
    const chosen = filter.value || params.get('error_code') || '';
    filter.replaceChildren(el('option', { value: '' }, 'All codes'),
      ...[...new Set([...CODES, ...present])].map(code => el('option', { value: code },
        code + ' (' + letters.filter(letter => letter.error_code === code).length + ')')));
    filter.value = chosen;
  }

  function show() {
    const shown = visible();
    count.textContent = shown.length + ' shown of ' + letters.length + ' loaded' + (nextAfter ? ' (more to load)' : '');
    replayAll.textContent = filter.value ? 'Replay the ' + shown.length + ' shown' : 'Replay all';
    replayAll.disabled = shown.length === 0;
    list.replaceChildren(...shown.map(card));
    if (shown.length === 0) {
      list.append(el('p', { class: 'muted', id: 'dl-empty' }, letters.length ? 'No dead letter with this code.' : 'No dead letters.'));
    }
  }

  function card(letter) {
    const button = el('button', { type: 'button', class: 'secondary', dataset: { replay: letter.id },
      'aria-label': 'Replay dead letter ' + letter.id }, 'Replay');
    button.addEventListener('click', () => busy(button, () => replay([letter.id])));
    return el('article', { class: 'card deadletter', dataset: { id: letter.id, sourceId: letter.source_id || '' } },
      el('header', {},
        el('div', {}, el('span', { class: 'badge bad', dataset: { code: letter.error_code } }, letter.error_code), ' ',
          el('code', {}, letter.source_stream), ' ', el('span', { class: 'muted' }, 'entry ' + letter.source_id),
          letter.delivery_count ? el('span', { class: 'muted' }, ' · delivered ' + letter.delivery_count + ' times') : null),
        button),
      el('p', { class: 'reason' }, letter.error),
      el('details', {}, el('summary', {}, 'Original fields (' + Object.keys(letter.fields || {}).length + ')'),
        el('dl', { class: 'fields' }, Object.entries(letter.fields || {}).map(([name, value]) =>
          [el('dt', {}, name), el('dd', {}, value === null ? 'null' : String(value))]))),
      el('p', { class: 'muted' }, 'Dead letter ' + letter.id));
  }

  async function load(after) {
    try {
      const query = new URLSearchParams({ limit: String(PAGE) });
      if (after) {
        query.set('after', after);
      }
      const page = await apiJson('/api/v1/dead-letters?' + query);
      letters = after ? letters.concat(page.dead_letters) : page.dead_letters;
      nextAfter = page.next_after;
      more.hidden = !nextAfter;
      clearError();
      fillFilter();
      show();
    } catch (failure) {
      showError(failure);
    }
  }

  async function replay(ids) {
    try {
      const options = { method: 'POST' };
      if (ids) {
        options.headers = { 'Content-Type': 'application/json' };
        options.body = JSON.stringify({ ids });
      }
      const result = await apiJson('/api/v1/dead-letters/replay', options);
      await load(); // the list first, so that the outcome appearing means the list is current
      outcome.hidden = false;
      outcome.replaceChildren(
        el('h3', {}, 'Replay result'),
        el('p', { id: 'dl-replayed' }, result.replayed.length + ' replayed to their streams' +
          (result.replayed.length ? ': ' + result.replayed.map(item => item.id).join(', ') : '') + '.'),
        result.not_replayed.length
          ? el('div', {}, el('p', {}, result.not_replayed.length + ' still bad, kept as dead letters:'),
            el('ul', { class: 'list', id: 'dl-still-bad' }, result.not_replayed.map(item =>
              el('li', { dataset: { id: item.id } }, el('code', {}, item.id), ': ', item.error))))
          : el('p', { class: 'muted' }, 'None came back bad.'));
    } catch (failure) {
      showError(failure);
    }
  }

  load();
  return null;
}
