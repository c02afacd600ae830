// Conversation viewer: finds conversations by conversation id, task id or agent id through the
// row exports (messages, tool_executions) and shows one as a chat: each assistant tool call with
// its arguments and its result (the tool message answering it, else the tool execution with the
// call's id). Feedback on the conversation or its messages is shown where the store has the
// feedback kind (listed by /api/v1/stats): its export answering 200 is shown, 404 shows nothing.
// A conversation that datasets leave out says so, with the reason and what decided it (the
// conversations summary with explain=true).
import { ApiError, api, apiJson, busy, clearError, el, exportPath, exportRows, prettyJson, showError, storeKinds } from './core.js';
import { searchBox, similarConversations } from './search.js';

const SEARCH_LIMIT = '5000';

export function render(main, params) {
  const by = el('select', { id: 'cv-by' },
    el('option', { value: 'conversation_id' }, 'Conversation id'),
    el('option', { value: 'task_id' }, 'Task id'),
    el('option', { value: 'agent_id' }, 'Agent id'));
  const value = el('input', { id: 'cv-value', size: 36, required: true, spellcheck: 'false' });
  const find = el('button', { type: 'submit', id: 'cv-find' }, 'Find');
  const results = el('div', { id: 'cv-results', 'aria-live': 'polite' });
  const semantic = el('div', { id: 'cv-search-slot' });

  main.append(
    el('h2', {}, 'Conversations'),
    semantic,
    el('form', { class: 'card row', id: 'cv-form', on: { submit: event => {
      event.preventDefault();
      location.hash = '#/conversations?' + new URLSearchParams([[by.value, value.value.trim()]]);
    } } },
      el('div', { class: 'field' }, el('label', { for: 'cv-by' }, 'Find by'), by),
      el('div', { class: 'field' }, el('label', { for: 'cv-value' }, 'Id'), value),
      find),
    results);

  searchBox(semantic, params.get('q'));
  for (const name of ['conversation_id', 'task_id', 'agent_id']) {
    if (params.get(name)) {
      by.value = name;
      value.value = params.get(name);
      busy(find, () => search(name, params.get(name)));
      break;
    }
  }

  async function search(name, id) {
    try {
      results.replaceChildren(el('p', { class: 'muted' }, 'Searching…'));
      const parameters = [[name, id]];
      if (name !== 'conversation_id') {
        parameters.push(['limit', SEARCH_LIMIT]);
      }
      const messages = await exportRows('messages', parameters);
      const executions = name === 'task_id' ? await exportRows('tool_executions', [['task_id', id]]) : [];
      clearError();
      const byConversation = new Map();
      for (const message of messages) {
        if (!byConversation.has(message.conversation_id)) {
          byConversation.set(message.conversation_id, []);
        }
        byConversation.get(message.conversation_id).push(message);
      }
      if (byConversation.size === 1) {
        const [[conversation, its]] = byConversation;
        await showConversation(conversation, its, executions, name === 'conversation_id');
      } else if (byConversation.size === 0) {
        results.replaceChildren(el('p', { id: 'cv-none' }, 'No messages with ' + name + ' = ' + id + '.'),
          executions.length ? executionsTable(executions, 'Tool executions of task ' + id) : '');
      } else {
        results.replaceChildren(el('h3', {}, byConversation.size + ' conversations with ' + name + ' = ' + id),
          el('ul', { class: 'list', id: 'cv-list' }, [...byConversation].map(([conversation, its]) => el('li', {},
            el('a', { href: '#/conversations?' + new URLSearchParams([['conversation_id', conversation]]) }, conversation),
            el('span', { class: 'muted' }, ' · ' + its.length + ' messages' + (name === 'conversation_id' ? '' : ' matching')
              + ' · from ' + its.map(m => m.occurred_at).sort()[0])))),
          executions.length ? executionsTable(executions, 'Tool executions of task ' + id) : '');
      }
    } catch (failure) {
      results.replaceChildren();
      showError(failure);
    }
  }

  async function showConversation(conversation, matching, taskExecutions, complete) {
    // A search by task or agent finds some of its messages: read the whole conversation.
    const messages = complete ? matching : await exportRows('messages', [['conversation_id', conversation]]);
    order(messages);
    const callIds = messages.flatMap(m => (Array.isArray(m.tool_calls) ? m.tool_calls : []).map(call => call && call.id))
      .filter(Boolean);
    const executions = new Map(taskExecutions.map(execution => [execution.execution_id, execution]));
    const missing = callIds.filter(id => !executions.has(id));
    if (missing.length) {
      for (const execution of await exportRows('tool_executions', missing.map(id => ['execution_id', id]))) {
        executions.set(execution.execution_id, execution);
      }
    }
    const answers = new Map(messages.filter(m => m.role === 'tool' && m.tool_call_id).map(m => [m.tool_call_id, m]));
    const answered = new Set();
    const chat = el('div', { class: 'chat', id: 'cv-chat', dataset: { conversation } });
    for (const message of messages) {
      if (message.role === 'tool' && callIds.includes(message.tool_call_id)) {
        continue; // shown with its call
      }
      chat.append(messageCard(message, answers, executions, answered));
    }
    const unmatched = taskExecutions.filter(execution => !callIds.includes(execution.execution_id));
    const agents = [...new Set(messages.map(m => m.agent_id).filter(Boolean))];
    const tasks = [...new Set(messages.map(m => m.task_id).filter(Boolean))];
    const feedback = el('div', { id: 'cv-feedback-slot' });
    const leftOut = el('div', { id: 'cv-left-out-slot', 'aria-live': 'polite' });
    const similar = el('div', { id: 'cv-similar-slot' });
    results.replaceChildren(
      el('h3', {}, 'Conversation ', el('code', {}, conversation)),
      el('p', { class: 'muted' }, messages.length + ' messages' + (agents.length ? ' · agents ' + agents.join(', ') : '')
        + (tasks.length ? ' · tasks ' : ''),
        tasks.map((task, i) => [i ? ', ' : '', el('a', { href: '#/conversations?' + new URLSearchParams([['task_id', task]]) }, task)])),
      leftOut,
      feedback,
      chat,
      unmatched.length ? executionsTable(unmatched, 'Other tool executions of the task') : '',
      similar);
    await Promise.all([showLeftOut(leftOut, conversation), showFeedback(feedback, conversation, messages),
      similarConversations(similar, conversation)]);
  }

  /** "left out of datasets: <reason> (<detail>)" when the conversations dataset would skip it. */
  async function showLeftOut(slot, conversation) {
    let summary;
    try {
      summary = await apiJson('/api/v1/datasets/conversations/summary?'
        + new URLSearchParams([['conversation_id', conversation], ['explain', 'true']]));
    } catch (failure) {
      showError(failure);
      return;
    }
    // Marked for the reader of the markup (and the tests) once known: included or left out.
    slot.dataset.datasets = summary.emitted > 0 ? 'included' : 'left-out';
    for (const [reason, examples] of Object.entries(summary.left_out || {})) {
      const example = examples.find(e => e.id === conversation);
      if (example) {
        slot.replaceChildren(el('p', { class: 'left-out', id: 'cv-left-out', dataset: { reason } },
          el('strong', {}, 'left out of datasets: '), reason, ' (' + example.detail + ')'));
        return;
      }
    }
  }

  function messageCard(message, answers, executions, answered) {
    const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
    return el('article', { class: 'msg ' + (message.role || ''), dataset: { messageId: message.message_id, role: message.role } },
      el('div', { class: 'meta' }, el('strong', {}, message.role + (message.name ? ' (' + message.name + ')' : '')),
        message.seq !== null && message.seq !== undefined ? el('span', {}, '#' + message.seq) : null,
        el('time', { datetime: message.occurred_at }, message.occurred_at),
        message.agent_id ? el('span', {}, message.agent_id) : null,
        message.tool_call_id ? el('span', {}, 'answers ' + message.tool_call_id) : null),
      message.content ? el('div', { class: 'content' }, message.content) : null,
      calls.map(call => toolCall(call, answers, executions, answered)));
  }

  function toolCall(call, answers, executions, answered) {
    const fn = (call && call.function) || {};
    const id = call && call.id;
    const answer = answers.get(id);
    const execution = executions.get(id);
    let result;
    if (answer) {
      answered.add(id);
      result = el('div', { class: 'result', dataset: { resultOf: id } }, el('div', { class: 'label' }, 'Result (tool message)'),
        el('pre', {}, prettyJson(answer.content)));
    } else if (execution && (execution.output_result !== null || execution.error)) {
      const bad = execution.output_result === null && execution.error;
      result = el('div', { class: 'result' + (bad ? ' bad' : ''), dataset: { resultOf: id } },
        el('div', { class: 'label' }, 'Result (tool execution' + (execution.status ? ', ' + execution.status : '')
          + (execution.duration_ms !== null && execution.duration_ms !== undefined ? ', ' + execution.duration_ms + ' ms' : '') + ')'),
        el('pre', {}, bad ? execution.error : prettyJson(execution.output_result)));
    } else {
      result = el('div', { class: 'result muted', dataset: { resultOf: id || '' } }, 'No result stored for this call.');
    }
    return el('div', { class: 'toolcall', dataset: { callId: id || '' } },
      el('div', {}, el('span', { class: 'label' }, 'Tool call '), el('span', { class: 'name' }, fn.name || '(no name)'),
        el('span', { class: 'muted' }, ' ' + (id || ''))),
      el('div', { class: 'label' }, 'Arguments'), el('pre', { class: 'arguments' }, prettyJson(fn.arguments ?? '')),
      result);
  }

  function executionsTable(executions, title) {
    return el('section', { class: 'card', id: 'cv-executions' }, el('h3', {}, title),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, ['execution_id', 'tool_name', 'status', 'duration_ms', 'input_params', 'output_result / error']
          .map(name => el('th', { scope: 'col' }, name)))),
        el('tbody', {}, executions.map(execution => el('tr', { dataset: { executionId: execution.execution_id } },
          el('td', {}, execution.execution_id), el('td', {}, execution.tool_name), el('td', {}, execution.status ?? ''),
          el('td', { class: 'num' }, execution.duration_ms ?? ''),
          el('td', {}, el('pre', {}, prettyJson(execution.input_params ?? null))),
          el('td', {}, el('pre', {}, execution.output_result !== null ? prettyJson(execution.output_result) : execution.error ?? ''))))))));
  }

  async function showFeedback(slot, conversation, messages) {
    let kinds;
    try {
      kinds = await storeKinds();
    } catch (failure) {
      return; // the stats error is not this page's business; the conversation is shown
    }
    if (!kinds.includes('feedback')) {
      return;
    }
    const targets = [conversation, ...messages.map(m => m.message_id).filter(Boolean)];
    let rows;
    try {
      const response = await api(exportPath('feedback', targets.map(target => ['target_id', target])));
      rows = (await response.text()).split('\n').filter(line => line.trim()).map(line => JSON.parse(line));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) {
        return;
      }
      showError(failure);
      return;
    }
    if (!rows.length) {
      slot.replaceChildren(el('p', { class: 'muted', id: 'cv-feedback' }, 'No feedback on this conversation.'));
      return;
    }
    slot.replaceChildren(el('section', { class: 'card', id: 'cv-feedback' }, el('h3', {}, 'Feedback'),
      el('div', { class: 'table-wrap' }, el('table', {},
        el('thead', {}, el('tr', {}, ['target', 'name', 'value', 'label', 'source', 'comment', 'correction']
          .map(name => el('th', { scope: 'col' }, name)))),
        el('tbody', {}, rows.map(row => el('tr', {},
          el('td', {}, (row.target_kind || '') + ' ' + (row.target_id || '')), el('td', {}, row.name ?? ''),
          el('td', { class: 'num' }, row.value ?? ''), el('td', {}, row.label ?? ''), el('td', {}, row.source ?? ''),
          el('td', {}, row.comment ?? ''), el('td', { class: 'correction' }, correctionText(row.correction)))))))));
  }

  return null;
}

/** A feedback correction on one line: a string as it is, anything else as compact JSON. */
function correctionText(correction) {
  if (correction === null || correction === undefined) {
    return '';
  }
  return typeof correction === 'string' ? correction : JSON.stringify(correction);
}

/** Messages in conversation order: seq (those without after), then occurred_at, then message_id. */
function order(messages) {
  messages.sort((a, b) => {
    const sa = a.seq ?? Number.MAX_SAFE_INTEGER;
    const sb = b.seq ?? Number.MAX_SAFE_INTEGER;
    if (sa !== sb) {
      return sa - sb;
    }
    if (a.occurred_at !== b.occurred_at) {
      return a.occurred_at < b.occurred_at ? -1 : 1;
    }
    return a.message_id < b.message_id ? -1 : a.message_id > b.message_id ? 1 : 0;
  });
}
