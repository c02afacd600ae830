// Shared by every page: the token, API calls with it, errors, and a small DOM builder that only
// ever sets text (never HTML), so nothing an agent stored can run in the console.

const TOKEN_KEY = 'trainingStore.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(value) {
  if (value) {
    sessionStorage.setItem(TOKEN_KEY, value);
  } else {
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** An API answer that was not 2xx; message is the API's own {"error": ...} text. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** fetch() with the bearer token; throws ApiError with the API's error text on a non-2xx answer. */
export async function api(path, options = {}) {
  if (!token()) {
    throw new ApiError(0, 'Enter an API token above first (a token from TRAINING_STORE_TOKENS).');
  }
  const headers = Object.assign({}, options.headers, { Authorization: 'Bearer ' + token() });
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) {
    let message = response.status + ' ' + response.statusText;
    try {
      const body = await response.json();
      if (body && body.error) {
        message = body.error;
      }
    } catch (ignored) {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

export async function apiJson(path, options) {
  return (await api(path, options)).json();
}

/** The rows of a JSON-lines export, e.g. exportRows('messages', [['conversation_id', 'c1']]). */
export async function exportRows(kind, parameters) {
  const text = await (await api(exportPath(kind, parameters))).text();
  return text.split('\n').filter(line => line.trim() !== '').map(line => JSON.parse(line));
}

export function exportPath(kind, parameters) {
  const query = new URLSearchParams();
  for (const [name, value] of parameters) {
    query.append(name, value);
  }
  const text = query.toString();
  // 'dataset:conversations' is a dataset (contract section 6), anything else a kind's row export.
  const base = kind.startsWith('dataset:') ? '/api/v1/datasets/' + encodeURIComponent(kind.slice('dataset:'.length))
    : '/api/v1/export/' + encodeURIComponent(kind);
  return base + (text ? '?' + text : '');
}

let kindsPromise = null;

/** The kinds this store has, from /api/v1/stats (so a kind added later shows up by itself). */
export function storeKinds() {
  if (!kindsPromise) {
    kindsPromise = apiJson('/api/v1/stats').then(stats => Object.keys(stats.kinds))
      .catch(failure => { kindsPromise = null; throw failure; });
  }
  return kindsPromise;
}

export function forgetKinds() {
  kindsPromise = null;
}

export function showError(failure) {
  const box = document.getElementById('error');
  box.textContent = failure instanceof Error ? failure.message : String(failure);
  box.hidden = false;
}

export function clearError() {
  const box = document.getElementById('error');
  box.textContent = '';
  box.hidden = true;
}

/** el('td', {class: 'num', dataset: {kind: 'events'}}, 'text', child, ...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (name === 'on') {
      for (const [event, handler] of Object.entries(value)) {
        node.addEventListener(event, handler);
      }
    } else if (name === 'class') {
      node.className = value;
    } else if (value === true) {
      node.setAttribute(name, '');
    } else {
      node.setAttribute(name, value);
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A control with its label above it (the label's for= names the control's id). */
export function field(id, label, control) {
  return el('div', { class: 'field' }, el('label', { for: id }, label), control);
}

/** Series colours, the same on every chart of the console. */
export const COLORS = ['#0b5cad', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207'];

/** The curl command of a GET of this API path, reading the token from $TOKEN as the pages tell. */
export function curlCommand(path, outputFile) {
  // encodeURIComponent leaves ' unescaped: escape it too, so the URL can sit in single quotes.
  const url = location.origin + path.replace(/'/g, '%27');
  return 'curl -fsS -H "Authorization: Bearer $TOKEN" \'' + url + '\'' + (outputFile ? ' -o ' + outputFile : '');
}

/** A button that copies a command's text, saying in status whether it could. */
export function copyButton(id, source, status) {
  return el('button', { type: 'button', class: 'secondary', id, on: { click: () => navigator.clipboard
    .writeText(source.textContent)
    .then(() => { status.textContent = 'Command copied.'; })
    .catch(() => { status.textContent = 'Copying is not allowed here: select the command and copy it.'; }) } },
  'Copy command');
}

/**
 * Saves the answer of an API path as a file (fetched with the token, then saved from a Blob: for
 * answers of many gigabytes the curl command, which streams to disk, is the way). Answers its size.
 */
export async function downloadAs(path, fileName) {
  const blob = await (await api(path)).blob();
  const link = el('a', { href: URL.createObjectURL(blob), download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return blob.size;
}

export function formatNumber(value) {
  return value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US');
}

/** A JSON value as indented text; JSON text inside a string (tool arguments) is parsed first. */
export function prettyJson(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch (ignored) {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

/** A busy state for a button while an action runs. */
export async function busy(button, action) {
  button.disabled = true;
  try {
    return await action();
  } finally {
    button.disabled = false;
  }
}
