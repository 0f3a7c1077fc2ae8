// Real-time stats for the admin: polls /api/realtime/stats every few seconds.

import { api } from './auth.js';
import { part } from './dom.js';

const POLL_MS = 3000;

function ms(value) {
  return value == null ? '–' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

export function setupStats({ lastId }) {
  const out = (name) => part(`stat="${name}"`);
  let previous = null;

  const poll = async () => {
    try {
      const s = await api('/api/realtime/stats');
      const now = performance.now();
      const published = s.events?.published ?? s.events?.processed ?? 0;
      if (previous) {
        const rate = (published - previous.published) / ((now - previous.at) / 1000);
        out('rate').textContent = rate.toFixed(rate < 10 ? 1 : 0);
      }
      previous = { published, at: now };
      const lat = s.latency_ms ?? {};
      out('latency').textContent = lat.samples ? `${ms(lat.p50)} · p95 ${ms(lat.p95)}` : '–';
      out('clients').textContent = String(s.clients?.connected ?? '–');
      // bookings_total{outcome}: the numbers Prometheus scrapes from /metrics
      const outcomes = s.counters?.bookings ?? {};
      out('bookings').textContent = ['booked', 'cancelled', 'conflict', 'limit_reached']
        .filter((k) => outcomes[k]).map((k) => `${outcomes[k]} ${k.replace('_', ' ')}`)
        .join(' · ') || '0 booked';
      const id = lastId() ?? s.listener?.last_id;
      out('last').textContent = id == null ? '–' : `#${id}`;
      part('stats').dataset.stale = 'false';
    } catch {
      part('stats').dataset.stale = 'true';
    }
  };
  poll();
  setInterval(poll, POLL_MS);
}
