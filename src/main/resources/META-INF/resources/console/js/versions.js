// Dataset versions (contract 6.4): GET /api/v1/datasets/versions (scope export) listed newest
// first, a version's manifest, its download, and DELETE (scope admin) shown only to a token that
// has admin. Also the "Save as version" control of the export builder (saveAsVersion).
import { ApiError, api, apiJson, busy, clearError, copyButton, curlCommand, downloadAs, el, field, formatNumber,
  prettyJson, showError } from './core.js';

const BASE = '/api/v1/datasets/versions';
const PAGE = 50;

/**
 * Whether the token may delete versions. A DELETE of id 0, which no version can have, asks
 * without touching anything: 403 without the admin scope, 404 with it.
 */
async function canDelete() {
  try {
    await api(BASE + '/0', { method: 'DELETE' });
    return true;
  } catch (failure) {
    return failure instanceof ApiError && failure.status === 404;
  }
}

export function render(main, params) {
  const name = el('input', { id: 'ver-name', size: 32, value: params.get('name') || '',
    placeholder: 'exact name (empty: all)' });
  const reload = el('button', { type: 'submit', class: 'secondary', id: 'ver-reload' }, 'Reload');
  const count = el('span', { id: 'ver-count', class: 'muted', 'aria-live': 'polite' });
  const list = el('div', { id: 'ver-list', class: 'table-wrap' });
  const more = el('button', { type: 'button', class: 'secondary', id: 'ver-more', hidden: true }, 'Load more');
  const detail = el('section', { id: 'ver-detail', class: 'card', hidden: true, 'aria-live': 'polite' });
  let versions = [];
  let nextAfter = null;
  let admin = false;

  main.append(
    el('h2', {}, 'Dataset versions'),
    el('p', { class: 'muted' }, 'A version is a dataset answer frozen at one snapshot: the same bytes (and SHA-256) for'
      + ' as long as it exists. Save one from the export builder ("Save as version") or with POST ' + BASE + '.'),
    el('form', { class: 'row card', on: { submit: event => { event.preventDefault(); busy(reload, () => load()); } } },
      field('ver-name', 'Name', name), reload, count),
    detail,
    list,
    more);
  more.addEventListener('click', () => busy(more, () => load(nextAfter)));

  async function load(after) {
    try {
      const query = new URLSearchParams([['limit', String(PAGE)]]);
      if (name.value.trim()) {
        query.append('name', name.value.trim());
      }
      if (after) {
        query.append('after', after);
      }
      const [page, mayDelete] = await Promise.all([apiJson(BASE + '?' + query), after ? admin : canDelete()]);
      admin = mayDelete;
      versions = after ? versions.concat(page.versions) : page.versions;
      nextAfter = page.next_after;
      clearError();
      show();
    } catch (failure) {
      showError(failure);
    }
  }

  function show() {
    count.textContent = versions.length + ' version' + (versions.length === 1 ? '' : 's')
      + (nextAfter ? ' (more to load)' : '') + (admin ? '' : '; deleting needs a token with the admin scope');
    more.hidden = !nextAfter;
    const heads = ['id', 'name', 'dataset', 'status', 'created_at', 'lines', 'bytes', 'sha256', ''];
    list.replaceChildren(el('table', { id: 'ver-table' },
      el('thead', {}, el('tr', {}, heads.map(head => el('th', { scope: 'col' }, head)))),
      el('tbody', {}, versions.map(row))));
  }

  function row(version) {
    const actions = [el('button', { type: 'button', class: 'secondary', dataset: { action: 'manifest' },
      on: { click: () => showManifest(version) } }, 'Manifest')];
    if (version.status === 'ready') {
      const download = el('button', { type: 'button', dataset: { action: 'download' } }, 'Download');
      download.addEventListener('click', () => busy(download, () => downloadVersion(version)));
      actions.push(download);
    }
    if (admin) {
      const remove = el('button', { type: 'button', class: 'danger', dataset: { action: 'delete' } }, 'Delete');
      remove.addEventListener('click', () => busy(remove, () => deleteVersion(version)));
      actions.push(remove);
    }
    return el('tr', { dataset: { version: version.id, status: version.status } },
      el('td', {}, version.id), el('td', {}, version.name), el('td', {}, version.dataset),
      el('td', { title: version.error || null }, version.status + (version.error ? ': ' + version.error : '')),
      el('td', {}, version.created_at), el('td', { class: 'num' }, formatNumber(version.lines)),
      el('td', { class: 'num' }, formatNumber(version.bytes)),
      el('td', { title: version.sha256 || null }, version.sha256 ? version.sha256.slice(0, 12) + '…' : '–'),
      el('td', { class: 'actions' }, actions));
  }

  async function showManifest(version) {
    try {
      const manifest = await apiJson(BASE + '/' + encodeURIComponent(version.id));
      const command = el('pre', { id: 'ver-curl', tabindex: '0' },
        curlCommand(BASE + '/' + manifest.id + '/lines', fileName(manifest)));
      const status = el('p', { class: 'muted', 'aria-live': 'polite' });
      detail.replaceChildren(el('h3', {}, 'Version ' + manifest.id + ': ' + manifest.name),
        el('pre', { id: 'ver-manifest', tabindex: '0' }, prettyJson(manifest)),
        ...(manifest.status === 'ready' ? [el('p', { class: 'muted' }, 'Download with curl (streams to disk; check it'
          + ' with sha256sum; resume a cut download with -H "Range: bytes=<size of the file>-" and >>):'), command,
        el('div', { class: 'actions' }, copyButton('ver-copy', command, status)), status] : []));
      detail.hidden = false;
      clearError();
    } catch (failure) {
      showError(failure);
    }
  }

  async function downloadVersion(version) {
    try {
      await downloadAs(BASE + '/' + encodeURIComponent(version.id) + '/lines', fileName(version));
      clearError();
    } catch (failure) {
      showError(failure);
    }
  }

  async function deleteVersion(version) {
    if (!confirm('Delete version ' + version.id + ' (' + version.name + ')? Its bytes are gone for good.')) {
      return;
    }
    try {
      await api(BASE + '/' + encodeURIComponent(version.id), { method: 'DELETE' });
      versions = versions.filter(other => other.id !== version.id);
      detail.hidden = true;
      clearError();
      show();
    } catch (failure) {
      showError(failure);
    }
  }

  load();
  return null;
}

function fileName(version) {
  return version.dataset + '-version-' + version.id + '.jsonl';
}

/**
 * The export builder's "Save as version": a name and a button, shown for datasets only.
 * dataset() answers the builder's kind ('dataset:conversations', ...), parameters() its [name, value] pairs.
 */
export function saveAsVersion(dataset, parameters) {
  const name = el('input', { id: 'ex-version-name', size: 34, placeholder: 'e.g. support-bot sft 2026-04' });
  const save = el('button', { type: 'button', id: 'ex-save-version' }, 'Save as version');
  const status = el('p', { id: 'ex-version-status', class: 'muted', 'aria-live': 'polite' });
  const section = el('section', { class: 'card', id: 'ex-version', 'aria-labelledby': 'ex-version-heading', hidden: true },
    el('h3', { id: 'ex-version-heading' }, 'Save as version'),
    el('p', { class: 'muted' }, 'Freezes this dataset as it is now (the same bytes forever, with a SHA-256 to cite);'
      + ' "after" is not allowed. Versions are listed on the ', el('a', { href: '#/versions' }, 'Versions'), ' page.'),
    el('div', { class: 'row' }, field('ex-version-name', 'Version name', name), save), status);
  save.addEventListener('click', () => busy(save, async () => {
    const grouped = {};
    for (const [key, value] of parameters()) {
      grouped[key] = key in grouped ? [].concat(grouped[key], value) : value;
    }
    try {
      const response = await api(BASE, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: name.value.trim(), dataset: dataset().replace('dataset:', ''), parameters: grouped }) });
      const manifest = await response.json();
      clearError();
      status.replaceChildren('Version ' + manifest.id + ' is ' + manifest.status + ': ',
        el('a', { href: '#/versions?name=' + encodeURIComponent(manifest.name), id: 'ex-version-link' }, 'see it on Versions'),
        '.');
    } catch (failure) {
      status.textContent = '';
      showError(failure);
    }
  }));
  return {
    section,
    /** Shown for a dataset only. */
    update() {
      section.hidden = !dataset().startsWith('dataset:');
    },
  };
}
