// Semantic search in the console (contract 10), shown only when the store has search enabled
// (/console/features.json says so; with search off every /api/v1/search path is a 404), else
// nothing of this appears. A search box
// on the Conversations page lists conversations by meaning, each with its best-matching message; a
// click opens it in the conversation viewer, which then also lists similar conversations.
import { ApiError, apiJson, busy, el, showError } from './core.js';

let enabledPromise = null;

/** Whether search is enabled (asked once per page load; an error other than 404 asks again next time). */
export function searchEnabled() {
  if (!enabledPromise) {
    enabledPromise = fetch('features.json').then(response => response.ok ? response.json() : {})
      .then(features => features.search === true)
      .catch(() => {
        enabledPromise = null;
        return false;
      });
  }
  return enabledPromise;
}

function conversationLink(id) {
  return el('a', { href: '#/conversations?' + new URLSearchParams([['conversation_id', id]]) }, id);
}

function resultList(id, results) {
  return el('ol', { class: 'list', id }, results.map(result => el('li', { dataset: { conversation: result.conversation_id } },
    conversationLink(result.conversation_id),
    el('span', { class: 'muted' }, ' · score ' + result.score.toFixed(3)),
    el('div', { class: 'content' }, result.content + (result.content_truncated ? ' …' : '')))));
}

/** The search box, into `slot` when search is enabled; `q` from the page's address shows its results. */
export async function searchBox(slot, q) {
  if (!(await searchEnabled())) {
    return;
  }
  const input = el('input', { id: 'cv-search-q', size: 48, required: true, placeholder: 'e.g. the pod keeps restarting', value: q || '' });
  const button = el('button', { type: 'submit', id: 'cv-search-go' }, 'Search by meaning');
  const results = el('div', { id: 'cv-search-results', 'aria-live': 'polite' });
  slot.replaceChildren(el('form', { class: 'card row', id: 'cv-search-form', on: { submit: event => {
    event.preventDefault();
    location.hash = '#/conversations?' + new URLSearchParams([['q', input.value.trim()]]);
  } } }, el('div', { class: 'field' }, el('label', { for: 'cv-search-q' }, 'Search conversations'), input), button), results);
  if (q) {
    await busy(button, async () => {
      try {
        const answer = await apiJson('/api/v1/search/conversations?' + new URLSearchParams([['q', q], ['k', '20']]));
        results.replaceChildren(answer.results.length
          ? resultList('cv-search-list', answer.results)
          : el('p', { class: 'muted', id: 'cv-search-none' }, 'No indexed conversation yet.'));
      } catch (failure) {
        showError(failure);
      }
    });
  }
}

/** "Similar conversations" under an open conversation, when search is enabled. */
export async function similarConversations(slot, conversation) {
  if (!(await searchEnabled())) {
    return;
  }
  try {
    const answer = await apiJson('/api/v1/search/conversations?' + new URLSearchParams([['like', conversation], ['k', '5']]));
    slot.replaceChildren(el('section', { class: 'card', id: 'cv-similar' }, el('h3', {}, 'Similar conversations'),
      resultList('cv-similar-list', answer.results)));
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 404) {
      slot.replaceChildren(el('p', { class: 'muted', id: 'cv-similar' }, 'Similar conversations: not indexed yet.'));
      return;
    }
    showError(failure);
  }
}
