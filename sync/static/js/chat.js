// Chat widget: talks to POST /api/chat, renders the bot's messages and its buttons (offered
// slots send their payload), a typing indicator, and a retry banner when the network fails.

import { api, ApiError } from './auth.js';
import { el, showBanner } from './dom.js';

export class ChatWidget {
  constructor(root, { greeting, suggestions = [], onReply = () => {} }) {
    this.onReply = onReply;
    this.pending = null;
    this.log = el('div', {
      class: 'chat-log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation',
      'data-chat-log': true,
    });
    this.typing = el('div', { class: 'typing', hidden: true, 'aria-label': 'Assistant is typing' },
      el('span'), el('span'), el('span'));
    this.banner = el('div', { class: 'banner banner-error chat-error', hidden: true, role: 'alert' });
    this.retryButton = el('button', {
      type: 'button', class: 'btn btn-small', text: 'Retry', onclick: () => this.retry(),
    });
    this.errorBox = el('div', { class: 'chat-error-box', hidden: true }, this.banner, this.retryButton);
    this.input = el('input', {
      id: 'chat-input', class: 'chat-input', type: 'text', autocomplete: 'off', maxlength: 2000,
      placeholder: 'Type a message…', 'aria-label': 'Message to the assistant',
    });
    this.send = el('button', { class: 'btn btn-primary', type: 'submit', text: 'Send' });
    const form = el('form', { class: 'chat-form', onsubmit: (e) => this._submit(e) }, this.input, this.send);
    const chips = suggestions.length
      ? el('div', { class: 'chips', role: 'group', 'aria-label': 'Suggestions' },
          suggestions.map((s) => el('button', {
            type: 'button', class: 'chip', text: s, onclick: () => this.say(s),
          })))
      : null;
    root.replaceChildren(el('div', { class: 'chat' }, this.log, this.typing, this.errorBox, chips, form));
    if (greeting) this._bubble('bot', greeting);
  }

  _submit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (text) this.say(text);
  }

  /** Send `payload` (what Rasa gets), showing `label` as the user's words. */
  async say(payload, label = payload) {
    if (this.pending) return;
    this._bubble('user', label);
    this.input.value = '';
    await this._send({ payload, label });
  }

  async retry() {
    if (this.failed && !this.pending) await this._send(this.failed);
  }

  async _send(message) {
    this.pending = message;
    this.failed = null;
    this.errorBox.hidden = true;
    this._busy(true);
    let waiting = false;  // a 503 "starting"/"busy" keeps the turn pending and sends it again
    try {
      const replies = await api('/api/chat', { method: 'POST', body: { message: message.payload } });
      this._render(replies ?? []);
      this.onReply(replies ?? []);
    } catch (err) {
      waiting = this._fail(message, err);
    } finally {
      if (!waiting) {
        this.pending = null;
        this._busy(false);
        this.input.focus();
      }
    }
  }

  /** 503 while Rasa starts (training, loading) or sheds load: say so, wait, send again. */
  _waitAndResend(message, err) {
    const starting = err.code === 'assistant_starting';
    this.failed = null;
    showBanner(this.banner, starting ? err.message : 'The assistant is busy, retrying…');
    this.retryButton.hidden = true;
    this.errorBox.hidden = false;
    const again = async () => {
      if (starting) {
        const status = await api('/api/chat/status').catch(() => null);
        if (!status?.ready) {
          if (status?.state === 'training') {
            showBanner(this.banner, `The assistant is starting: training its language model (${status.percent ?? 0} %).`);
          }
          setTimeout(again, 3000);
          return;
        }
      }
      this.errorBox.hidden = true;
      this.pending = null;
      await this._send(message);
    };
    setTimeout(again, Math.max(1, err.retryAfter || 3) * 1000);
  }

  _fail(message, err) {
    if (err instanceof ApiError && err.status === 503
        && (err.code === 'assistant_starting' || err.code === 'assistant_busy')) {
      this._waitAndResend(message, err);
      return true;
    }
    let text = 'Could not reach the clinic. Check your connection and try again.';
    let canRetry = true;
    if (err instanceof ApiError) {
      if (err.status === 429) text = `You are typing faster than we can answer; try again in ${err.retryAfter || 'a few'} s.`;
      else if (err.status === 413 || err.status === 422) { text = err.message; canRetry = false; }
      else if (err.status === 401) text = 'Your session ended; please sign in again.';
      else text = err.message || text;
    }
    this.failed = canRetry ? message : null;
    showBanner(this.banner, text);
    this.retryButton.hidden = !canRetry;
    this.errorBox.hidden = false;
    return false;
  }

  _busy(busy) {
    this.typing.hidden = !busy;
    this.input.disabled = busy;
    this.send.disabled = busy;
    this.log.setAttribute('aria-busy', String(busy));
    if (busy) this._scroll();
  }

  _render(replies) {
    if (replies.length === 0) {
      this._bubble('bot', 'Sorry, I have no answer to that. Could you rephrase?');
    }
    for (const reply of replies) {
      if (typeof reply.text === 'string' && reply.text) this._bubble('bot', reply.text);
      if (Array.isArray(reply.buttons) && reply.buttons.length) this._buttons(reply.buttons);
      if (typeof reply.image === 'string') this._bubble('bot', reply.image);
    }
  }

  _buttons(buttons) {
    const group = el('div', { class: 'chat-buttons', role: 'group', 'aria-label': 'Choices' });
    for (const b of buttons) {
      const title = String(b.title ?? b.payload ?? '');
      const payload = String(b.payload ?? b.title ?? '');
      group.append(el('button', {
        type: 'button', class: 'btn btn-choice', text: title, dataset: { payload },
        onclick: (event) => {
          if (this.pending) return;
          for (const other of group.querySelectorAll('button')) other.disabled = true;
          group.dataset.chosen = title;
          event.currentTarget.classList.add('is-chosen');
          this.say(payload, title);
        },
      }));
    }
    this.log.append(group);
    this._scroll();
  }

  _bubble(who, text) {
    const row = el('div', { class: `msg msg-${who}` },
      el('span', { class: 'sr-only', text: who === 'bot' ? 'Assistant: ' : 'You: ' }),
      el('p', { class: 'bubble', text }));
    this.log.append(row);
    this._scroll();
  }

  _scroll() {
    this.log.scrollTop = this.log.scrollHeight;
  }
}
