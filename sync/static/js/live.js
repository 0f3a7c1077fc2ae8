// Live events over /ws: resumes from the last seen event id after any disconnect (the server
// replays everything newer), drops duplicates, reconnects with capped, jittered backoff.

import { getToken, isExpired, toLogin } from './auth.js';

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15000;

export class LiveSocket {
  /**
   * onEvent(event): each event once, in id order.
   * onSnapshot({last_id}, {first}): the server's snapshot point; `first` on the very first
   *   connection (load REST data then: later events arrive through onEvent).
   * onStatus('connecting' | 'connected' | 'reconnecting').
   */
  constructor({ onEvent, onSnapshot = () => {}, onStatus = () => {} }) {
    this.onEvent = onEvent;
    this.onSnapshot = onSnapshot;
    this.onStatus = onStatus;
    this.lastId = null;
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
    this.hadSnapshot = false;
    addEventListener('online', () => this.reconnectNow());
  }

  start() {
    this.stopped = false;
    this.onStatus('connecting');
    this._connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000);
  }

  reconnectNow() {
    if (this.stopped || this.socket?.readyState === WebSocket.OPEN) return;
    clearTimeout(this.timer);
    this._connect();
  }

  _url() {
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.lastId != null) url.searchParams.set('since', String(this.lastId));
    url.searchParams.set('token', getToken() ?? '');
    return url;
  }

  _connect() {
    if (isExpired()) {
      toLogin();
      return;
    }
    const socket = new WebSocket(this._url());
    this.socket = socket;
    socket.addEventListener('message', (msg) => this._receive(msg));
    socket.addEventListener('close', () => {
      if (this.socket !== socket || this.stopped) return;
      this.onStatus('reconnecting');
      this._scheduleReconnect();
    });
  }

  _receive(msg) {
    let data;
    try {
      data = JSON.parse(msg.data);
    } catch {
      return;
    }
    if (data.type === 'snapshot') {
      const first = !this.hadSnapshot;
      this.hadSnapshot = true;
      if (this.lastId == null) this.lastId = data.last_id ?? 0;
      this.attempt = 0;
      this.onStatus('connected');
      this.onSnapshot(data, { first });
      return;
    }
    if (typeof data.id !== 'number') return; // heartbeats and notices
    if (this.lastId != null && data.id <= this.lastId) return; // already seen
    this.lastId = data.id;
    this.onEvent(data);
  }

  _scheduleReconnect() {
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
    this.attempt += 1;
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._connect(), delay);
  }
}

/** Keep a pill element in sync with the socket state. */
export function statusPill(node) {
  const labels = { connecting: 'Connecting…', connected: 'Live', reconnecting: 'Reconnecting…' };
  return (state) => {
    node.dataset.state = state;
    node.textContent = labels[state] ?? state;
  };
}
