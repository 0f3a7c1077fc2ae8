// Dentist page: own schedule (live) and the availability chat.

import { api } from './auth.js';
import { AppointmentBook, namesFrom } from './appointments.js';
import { setupCalendarFeed } from './calendar-feed.js';
import { ScheduleCalendar } from './calendar.js';
import { addDays } from './clock.js';
import { ChatWidget } from './chat.js';
import { part, showBanner } from './dom.js';
import { LiveSocket, statusPill } from './live.js';
import { reportStartupError, rows, startPage } from './page.js';
import { TimeOffLayer } from './time-off.js';

async function main() {
  const ctx = await startPage(['dentist']);
  if (!ctx) return;
  const { clock, session } = ctx;
  const [dentistRows, treatmentRows] = await Promise.all([api('/api/dentists'), api('/api/treatments')]);
  const dentists = rows(dentistRows);
  const names = namesFrom(dentists, rows(treatmentRows));
  const me = dentists.find((d) => d.id === session.dentist_id) ?? { id: session.dentist_id, name: session.sub };
  setupCalendarFeed();
  const book = new AppointmentBook();
  const calendar = new ScheduleCalendar(part('calendar'), {
    clock, names, dentists: [me], view: 'week', label: 'My schedule',
  });
  calendar.render();
  const timeOff = new TimeOffLayer({
    calendar, clock, dentistIds: [me.id], onError: (m) => showBanner(part('schedule-error'), m),
  });

  const reload = async () => {
    try {
      book.load(rows(await api(`/api/appointments?from=${addDays(clock.today(), -62)}`)));
      calendar.setAppointments(book.sorted());
      showBanner(part('schedule-error'), '');
    } catch (err) {
      showBanner(part('schedule-error'), `Could not load your schedule: ${err.message}`);
    }
  };

  let connected = false;
  const setStatus = statusPill(part('live-status'));
  new LiveSocket({
    onSnapshot: (_, { first }) => { if (first) { reload(); timeOff.reload(); } },
    onEvent: (event) => {
      timeOff.onEvent(event);
      if (book.apply(event)) calendar.setAppointments(book.sorted());
    },
    onStatus: (state) => { connected = state === 'connected'; setStatus(state); },
  }).start();

  new ChatWidget(part('chat'), {
    greeting: `Hello ${names.dentist(me.id)}. Tell me when you are away or what your hours are, and I will keep patients' offers in step.`,
    suggestions: ['Block Friday 9am-5pm', 'Unblock Friday afternoon', 'What is my schedule today?', 'Set my hours on Monday 9-17'],
    onReply: () => { if (!connected) reload(); },
  });
}

main().catch(reportStartupError);
