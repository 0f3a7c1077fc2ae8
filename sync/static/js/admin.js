// Admin dashboard: live event feed, per-dentist calendar, real-time stats, webhooks.

import { api } from './auth.js';
import { AppointmentBook, namesFrom } from './appointments.js';
import { ScheduleCalendar } from './calendar.js';
import { addDays } from './clock.js';
import { el, part, showBanner } from './dom.js';
import { LiveSocket, statusPill } from './live.js';
import { reportStartupError, rows, startPage } from './page.js';
import { setupStats } from './admin-stats.js';
import { setupWebhooks } from './admin-webhooks.js';
import { setupFrontDesk } from './admin-desk.js';
import { TimeOffLayer } from './time-off.js';

const FEED_MAX = 200;
const FEED_LABELS = {
  'appointment.created': 'New booking',
  'appointment.cancelled': 'Cancelled',
  'appointment.updated': 'Updated',
  'appointment.deleted': 'Deleted',
  'appointment.reminder': 'Reminder sent',
  'availability.updated': 'Availability',
  'handoff.requested': 'Hand-off',
  'waitlist.offered': 'Waitlist offer',
};
const STATUS_LABELS = {
  scheduled: 'Unconfirm', confirmed: 'Confirm', arrived: 'Arrived', completed: 'Completed', no_show: 'No-show',
};

async function main() {
  const ctx = await startPage(['admin']);
  if (!ctx) return;
  const { clock } = ctx;
  const [dentistRows, treatmentRows, statuses] = await Promise.all(
    [api('/api/dentists'), api('/api/treatments'), api('/api/statuses')]);
  const dentists = rows(dentistRows);
  const treatments = rows(treatmentRows);
  const names = namesFrom(dentists, treatments);
  const book = new AppointmentBook();
  const desk = setupFrontDesk({ clock, names, dentists, treatments });
  const dialog = appointmentDialog({ clock, names, book, statuses, desk });
  const calendar = new ScheduleCalendar(part('calendar'), {
    clock, names, dentists, view: 'week', label: 'Clinic schedule', onSelect: dialog.open,
  });
  calendar.render();
  const timeOff = new TimeOffLayer({
    calendar, clock, dentistIds: dentists.map((d) => d.id),
    onError: (m) => showBanner(part('schedule-error'), m),
  });

  const reload = async () => {
    try {
      book.load(rows(await api(`/api/appointments?from=${addDays(clock.today(), -62)}`)));
      calendar.setAppointments(book.sorted());
      showBanner(part('schedule-error'), '');
    } catch (err) {
      showBanner(part('schedule-error'), `Could not load the schedule: ${err.message}`);
    }
  };

  const feed = part('feed');
  const showInFeed = (event) => {
    const label = feedLabel(event, book);
    if (!label) return;
    part('feed-empty').hidden = true;
    feed.prepend(feedItem(event, label, { clock, names, calendar, dialog }));
    while (feed.childElementCount > FEED_MAX) feed.lastElementChild.remove();
  };

  const setStatus = statusPill(part('live-status'));
  const live = new LiveSocket({
    onSnapshot: (_, { first }) => { if (first) { reload(); timeOff.reload(); } },
    onEvent: (event) => {
      timeOff.onEvent(event);
      part('stat="last"').textContent = `#${event.id}`;
      showInFeed(event);
      if (book.apply(event)) calendar.setAppointments(book.sorted());
      dialog.refresh();
    },
    onStatus: setStatus,
  });
  live.start();
  setupStats({ lastId: () => live.lastId });
  setupWebhooks();
}

function feedLabel(event, book) {
  if (event.type === 'appointment.updated') {
    const before = book.byId.get(event.data?.id);
    return before && before.starts_at !== event.data.starts_at ? 'Rescheduled' : 'Updated';
  }
  return FEED_LABELS[event.type] ?? null; // holds are too chatty for the feed
}

function feedItem(event, label, { clock, names, calendar, dialog }) {
  const d = event.data ?? {};
  let summary;
  if (event.type.startsWith('appointment.')) {
    summary = `${names.treatment(d.treatment)} · ${names.patient(d)} · ${names.dentist(d.dentist_id)} · ${clock.dateTime(d.starts_at)}`;
  } else if (event.type === 'waitlist.offered') {
    summary = `${names.treatment(d.treatment)} · ${clock.dateTime(d.starts_at)} with ${names.dentist(d.dentist_id)} held for ${d.patient_name ?? `patient #${d.patient_id}`} until ${clock.time(d.expires_at)}`;
  } else if (event.type === 'handoff.requested') {
    summary = `Patient #${d.patient_id ?? '?'} asks for a person${d.reason ? `: ${d.reason}` : ''}`;
  } else {
    summary = `${names.dentist(event.dentist_id)} changed ${d.source === 'availability_exception' ? 'time off' : 'weekly hours'}`;
  }
  const kind = label.toLowerCase().replace(/[^a-z]+/g, '-');
  const show = event.type.startsWith('appointment.') && d.starts_at
    ? el('button', {
        type: 'button', class: 'btn btn-small btn-quiet', text: 'Show',
        'aria-label': `Show ${label.toLowerCase()} in the calendar`,
        onclick: () => {
          calendar.anchor = clock.local(d.starts_at).day;
          calendar.render();
          dialog.open(d);
        },
      })
    : null;
  const dataset = { eventId: String(event.id), type: event.type };
  if (event.type.startsWith('appointment.') && d.id != null) dataset.apptId = String(d.id);
  return el('li', { class: `feed-item feed-${kind}`, dataset },
    el('div', { class: 'feed-top' },
      el('span', { class: `badge badge-${kind}`, text: label }),
      el('time', { class: 'feed-time', datetime: event.occurred_at, text: `${clock.time(event.occurred_at)} · #${event.id}` })),
    el('p', { class: 'feed-summary', text: summary }),
    show ? el('div', { class: 'feed-foot' }, show) : null);
}

function appointmentDialog({ clock, names, book, statuses, desk }) {
  const dialog = part('appt-dialog');
  const details = part('appt-details');
  const cancel = part('appt-cancel');
  const error = part('appt-error');
  const actions = part('status-actions');
  const reason = part('cancel-reason');
  const move = part('appt-move');
  let current = null;

  const setStatus = async (status) => {
    try {
      await api(`/api/appointments/${current.id}/status`, { method: 'POST', body: { status } });
      showBanner(error, '');
    } catch (err) {
      showBanner(error, err.message);
    }
  };

  const fill = () => {
    const a = book.byId.get(current.id) ?? current;
    const row = (k, v) => [el('dt', { text: k }), el('dd', { text: v })];
    details.replaceChildren(
      ...row('When', `${clock.longDate(a.starts_at)}, ${clock.time(a.starts_at)}–${clock.time(a.ends_at)}`),
      ...row('Treatment', names.treatment(a.treatment)),
      ...row('Patient', names.patient(a)),
      ...row('Dentist', names.dentist(a.dentist_id)),
      ...row('Status', a.status),
      ...row('Booking', `#${a.id}`),
    );
    const next = statuses.transitions[a.status] ?? [];  // the server's table: only allowed moves
    actions.replaceChildren(...next.filter((s) => STATUS_LABELS[s]).map((s) => el('button', {
      type: 'button', class: 'btn btn-small', dataset: { setStatus: s }, text: STATUS_LABELS[s],
      onclick: () => setStatus(s),
    })));
    const cancellable = next.includes('cancelled');
    cancel.disabled = !cancellable;
    cancel.textContent = a.status === 'cancelled' ? 'Cancelled' : 'Cancel appointment';
    part('cancel-box').hidden = !cancellable;
    move.hidden = !statuses.movable.includes(a.status);
  };

  move.addEventListener('click', () => {
    dialog.close();
    desk.move(book.byId.get(current.id) ?? current);
  });

  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await api(`/api/appointments/${current.id}/cancel`, { method: 'POST', body: { reason: reason.value.trim() } });
      reason.value = '';
      dialog.close();
    } catch (err) {
      showBanner(error, err.message);
      cancel.disabled = false;
    }
  });

  return {
    open(appt) {
      current = appt;
      showBanner(error, '');
      fill();
      if (!dialog.open) dialog.showModal();
    },
    refresh() {
      if (current && dialog.open) fill();
    },
  };
}

main().catch(reportStartupError);
