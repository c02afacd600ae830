// The console's shell: the token form, the page router (#/overview, #/dead-letters, #/export,
// #/conversations, #/analytics, #/versions, each with ?query parameters) and the error box.
import { clearError, forgetKinds, setToken, token } from './core.js';
import * as overview from './overview.js';
import * as deadLetters from './deadletters.js';
import * as exportBuilder from './export.js';
import * as conversations from './conversations.js';
import * as analytics from './analytics.js';
import * as versions from './versions.js';

const PAGES = {
  'overview': overview,
  'dead-letters': deadLetters,
  'export': exportBuilder,
  'conversations': conversations,
  'analytics': analytics,
  'versions': versions,
};

let leave = null;

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [name, query] = hash.split('?');
  const page = PAGES[name] ? name : 'overview';
  const params = new URLSearchParams(query || '');
  if (leave) {
    leave();
    leave = null;
  }
  clearError();
  for (const link of document.querySelectorAll('nav a[data-page]')) {
    if (link.dataset.page === page) {
      link.setAttribute('aria-current', 'page');
    } else {
      link.removeAttribute('aria-current');
    }
  }
  const main = document.getElementById('main');
  main.replaceChildren();
  main.dataset.page = page;
  leave = PAGES[page].render(main, params) || null;
}

function showTokenState() {
  document.getElementById('token-state').textContent = token() ? 'Token set for this tab' : 'No token';
  document.getElementById('token').placeholder = token() ? '•••••• (set)' : 'Bearer token';
}

document.getElementById('token-form').addEventListener('submit', event => {
  event.preventDefault();
  const input = document.getElementById('token');
  const value = input.value.trim();
  if (!value) {
    input.focus();
    return;
  }
  setToken(value);
  input.value = '';
  forgetKinds();
  showTokenState();
  route();
});

document.getElementById('token-forget').addEventListener('click', () => {
  setToken('');
  forgetKinds();
  showTokenState();
  route();
});

window.addEventListener('hashchange', route);
showTokenState();
route();
