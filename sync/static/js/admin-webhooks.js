// Webhook endpoints (list/add/delete) and dead letters (redeliver) for the admin.

import { api } from './auth.js';
import { el, part, showBanner } from './dom.js';
import { rows } from './page.js';

const REFRESH_MS = 10000;

export function setupWebhooks() {
  const form = part('hook-form');
  const error = part('hook-error');
  const secret = part('hook-secret');
  const hooks = part('hooks');
  const deliveries = part('deliveries');

  const fail = (err) => showBanner(error, err.message ?? String(err));

  const refresh = async () => {
    try {
      const endpoints = rows(await api('/api/webhooks'));
      hooks.replaceChildren(...endpoints.map((e) => endpointRow(e, { remove, fail })));
      part('hooks-empty').hidden = endpoints.length > 0;
      const dead = [];
      for (const e of endpoints.filter((x) => Number(x.dead ?? 1) > 0)) {
        const list = rows(await api(`/api/webhooks/${e.id}/deliveries`));
        for (const d of list) if (d.status === 'dead') dead.push({ ...d, url: e.url });
      }
      deliveries.replaceChildren(...dead.map((d) => deadRow(d, { redeliver, fail })));
      part('deliveries-empty').hidden = dead.length > 0;
      showBanner(error, '');
    } catch (err) {
      fail(err);
    }
  };

  const remove = async (endpoint) => {
    await api(`/api/webhooks/${endpoint.id}`, { method: 'DELETE' });
    await refresh();
  };
  const redeliver = async (delivery) => {
    await api(`/api/webhooks/deliveries/${delivery.id}/redeliver`, { method: 'POST', body: {} });
    await refresh();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const types = String(data.get('types') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
    const body = { url: String(data.get('url')).trim(), ...(types.length ? { types } : {}) };
    try {
      const created = await api('/api/webhooks', { method: 'POST', body });
      form.reset();
      showBanner(secret, `Endpoint added. Its signing secret (shown once, keep it safe): ${created.secret}`);
      await refresh();
    } catch (err) {
      fail(err);
    }
  });

  refresh();
  setInterval(refresh, REFRESH_MS);
}

function endpointRow(e, { remove, fail }) {
  const counts = `${e.delivered ?? 0} delivered · ${e.pending ?? 0} pending · ${e.dead ?? 0} dead`;
  const types = Array.isArray(e.types) && e.types.length ? e.types.join(', ') : 'all events';
  return el('tr', { dataset: { hookId: String(e.id) } },
    el('td', { class: 'cell-url', text: e.url }),
    el('td', { text: types }),
    el('td', { text: e.active === false ? `paused · ${counts}` : counts }),
    el('td', { class: 'cell-actions' }, el('button', {
      type: 'button', class: 'btn btn-small btn-danger-quiet', text: 'Delete',
      'aria-label': `Delete endpoint ${e.url}`,
      onclick: (ev) => { ev.currentTarget.disabled = true; remove(e).catch(fail); },
    })));
}

function deadRow(d, { redeliver, fail }) {
  const why = d.last_error || (d.last_status ? `HTTP ${d.last_status}` : 'no response');
  return el('tr', { dataset: { deliveryId: String(d.id) } },
    el('td', { text: `#${d.event_id} ${d.event_type ?? ''}` }),
    el('td', { class: 'cell-url', text: d.url }),
    el('td', { text: String(d.attempts ?? 0) }),
    el('td', { class: 'cell-error', text: why }),
    el('td', { class: 'cell-actions' }, el('button', {
      type: 'button', class: 'btn btn-small', text: 'Redeliver',
      'aria-label': `Redeliver event ${d.event_id} to ${d.url}`,
      onclick: (ev) => { ev.currentTarget.disabled = true; redeliver(d).catch(fail); },
    })));
}
