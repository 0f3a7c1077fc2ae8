// Day/week schedule grid. Columns are (day, dentist) pairs; appointments are placed by their
// start/end in clinic time; overlapping ones share the column in lanes.

import { addDays, dayLabel, weekStart } from './clock.js';
import { el } from './dom.js';
import { isLive } from './appointments.js';

const FIRST_HOUR = 7;
const LAST_HOUR = 20;
const SPAN_MIN = (LAST_HOUR - FIRST_HOUR) * 60;

export class ScheduleCalendar {
  /**
   * dentists: [{id, name}] shown (one → week view per day; several → a column each per day).
   * names: from namesFrom(); onSelect(appt) when a booking is clicked (optional).
   */
  constructor(root, { clock, names, dentists, onSelect = null, view = 'week', label = 'Schedule' }) {
    this.root = root;
    this.clock = clock;
    this.names = names;
    this.dentists = dentists;
    this.onSelect = onSelect;
    this.view = view;
    this.filter = 'all';
    this.label = label;
    this.anchor = clock.today();
    this.appointments = [];
    this.timeOff = [];
    this.onRemoveTimeOff = null;
    this._build();
  }

  _build() {
    this.title = el('h2', { class: 'cal-title', 'aria-live': 'polite' });
    const nav = (text, label, fn) => el('button', {
      type: 'button', class: 'btn btn-small', text, 'aria-label': label, onclick: fn,
    });
    this.viewButtons = ['day', 'week'].map((v) => el('button', {
      type: 'button', class: 'seg', text: v === 'day' ? 'Day' : 'Week',
      'aria-pressed': String(this.view === v), dataset: { view: v },
      onclick: () => { this.view = v; this.render(); },
    }));
    const controls = [
      nav('‹', 'Previous', () => this._move(-1)),
      nav('Today', 'Go to today', () => { this.anchor = this.clock.today(); this.render(); }),
      nav('›', 'Next', () => this._move(1)),
      el('div', { class: 'segmented', role: 'group', 'aria-label': 'View' }, this.viewButtons),
    ];
    if (this.dentists.length > 1) {
      this.select = el('select', { 'aria-label': 'Dentist', onchange: () => { this.filter = this.select.value; this.render(); } },
        el('option', { value: 'all', text: 'All dentists' }),
        this.dentists.map((d) => el('option', { value: String(d.id), text: this.names.dentist(d.id) })));
      controls.push(this.select);
    }
    this.grid = el('div', { class: 'cal', role: 'region', 'aria-label': this.label, 'data-calendar-grid': true });
    this.root.replaceChildren(
      el('div', { class: 'cal-toolbar' }, this.title, el('div', { class: 'cal-controls' }, controls)),
      el('div', { class: 'cal-scroll' }, this.grid),
      ...(this.dentists.length > 1 ? [this._legend()] : []),
    );
  }

  _legend() {
    return el('ul', { class: 'legend', 'aria-label': 'Colours' }, this.dentists.map((d) => el('li', {},
      el('span', { class: `swatch dentist-${this.names.dentistIndex(d.id) % 6}` }),
      this.names.dentist(d.id))));
  }

  _move(direction) {
    this.anchor = addDays(this.anchor, direction * (this.view === 'day' ? 1 : 7));
    this.render();
  }

  setAppointments(appointments) {
    this.appointments = appointments.filter(isLive);
    this.render();
  }

  /** Time off ([{id, dentist_id, starts_at, ends_at, reason?}]) drawn hatched behind the
   * bookings; with `onRemove(block)` each block gets a remove button. */
  setTimeOff(blocks, onRemove = null) {
    this.timeOff = blocks;
    this.onRemoveTimeOff = onRemove;
    this.render();
  }

  /** Visible range as ISO dates [from, to) for fetching. */
  days() {
    if (this.view === 'day') return [this.anchor];
    const monday = weekStart(this.anchor);
    return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  }

  _columns() {
    const shown = this.filter === 'all' ? this.dentists : this.dentists.filter((d) => String(d.id) === this.filter);
    const perDay = this.view === 'day' ? shown : [null];
    const days = this.days().filter((day, i) => this.view === 'day' || i < 5 || this._hasBookings(day, shown));
    return days.flatMap((day) => perDay.map((dentist) => ({ day, dentist, shown })));
  }

  _hasBookings(day, shown) {
    const ids = new Set(shown.map((d) => d.id));
    return this.appointments.some((a) => ids.has(a.dentist_id) && this.clock.local(a.starts_at).day === day);
  }

  render() {
    for (const b of this.viewButtons) b.setAttribute('aria-pressed', String(b.dataset.view === this.view));
    const days = this.days();
    this.title.textContent = this.view === 'day'
      ? this.clock.longDate(`${days[0]}T12:00:00Z`)
      : `${dayLabel(days[0])} – ${dayLabel(days[6])}`;
    const columns = this._columns();
    this.grid.style.setProperty('--cols', String(columns.length));
    this.grid.style.setProperty('--hours', String(LAST_HOUR - FIRST_HOUR));
    const head = columns.map((c) => el('div', { class: 'cal-head', role: 'columnheader' },
      c.dentist
        ? el('span', { class: 'cal-day', text: this.names.dentist(c.dentist.id) })
        : el('span', { class: 'cal-day', text: dayLabel(c.day) })));
    const hours = Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) =>
      el('div', { class: 'cal-hour', text: `${String(FIRST_HOUR + i).padStart(2, '0')}:00` }));
    const today = this.clock.today();
    const body = columns.map((c) => this._column(c, c.day === today));
    this.grid.replaceChildren(
      el('div', { class: 'cal-corner' }), ...head,
      el('div', { class: 'cal-gutter', 'aria-hidden': 'true' }, hours), ...body,
    );
  }

  _column({ day, dentist, shown }, isToday) {
    const ids = new Set((dentist ? [dentist] : shown).map((d) => d.id));
    const items = this.appointments
      .filter((a) => ids.has(a.dentist_id) && this.clock.local(a.starts_at).day === day)
      .map((a) => ({ appt: a, start: this.clock.local(a.starts_at).minutes, end: this._endMinutes(a, day) }));
    const col = el('div', { class: `cal-col${isToday ? ' is-today' : ''}`, role: 'list', 'aria-label': dayLabel(day) });
    for (const block of this.timeOff.filter((b) => ids.has(b.dentist_id))) {
      const node = this._offBlock(block, day);
      if (node) col.append(node);
    }
    for (const item of withLanes(items)) col.append(this._block(item));
    if (isToday) {
      const now = this.clock.local(Date.now()).minutes - FIRST_HOUR * 60;
      if (now >= 0 && now <= SPAN_MIN) {
        const line = el('div', { class: 'cal-now', 'aria-hidden': 'true' });
        line.style.top = `${(now / SPAN_MIN) * 100}%`;
        col.append(line);
      }
    }
    return col;
  }

  _offBlock(block, day) {
    const from = this.clock.local(block.starts_at);
    const to = this.clock.local(block.ends_at);
    if (from.day > day || to.day < day || (to.day === day && to.minutes === 0)) return null;
    const start = Math.max(0, (from.day === day ? from.minutes : 0) - FIRST_HOUR * 60);
    const end = Math.min(SPAN_MIN, (to.day === day ? to.minutes : 24 * 60) - FIRST_HOUR * 60);
    if (end <= start) return null;
    const label = `Time off ${this.clock.dateTime(block.starts_at)} – ${this.clock.dateTime(block.ends_at)}`
      + (block.reason ? ` (${block.reason})` : '');
    const node = el('div', { class: 'cal-off', title: label, dataset: { timeOffId: String(block.id) } },
      el('span', { text: block.reason || 'Time off' }),
      this.onRemoveTimeOff ? el('button', {
        type: 'button', text: 'Remove', 'aria-label': `Remove ${label}`,
        onclick: () => this.onRemoveTimeOff(block),
      }) : null);
    node.style.top = `${(start / SPAN_MIN) * 100}%`;
    node.style.height = `${((end - start) / SPAN_MIN) * 100}%`;
    return node;
  }

  _endMinutes(appt, day) {
    const end = this.clock.local(appt.ends_at);
    return end.day === day ? end.minutes : 24 * 60;
  }

  _block({ appt, start, end, lane, lanes }) {
    const top = Math.max(0, start - FIRST_HOUR * 60);
    const bottom = Math.min(SPAN_MIN, end - FIRST_HOUR * 60);
    const time = `${this.clock.time(appt.starts_at)}–${this.clock.time(appt.ends_at)}`;
    const short = end - start < 50;
    const what = this.names.treatment(appt.treatment);
    const who = this.names.patient(appt);
    const label = `${time} ${what}, ${who}, ${this.names.dentist(appt.dentist_id)}`;
    const tag = this.onSelect ? 'button' : 'div';
    const block = el(tag, {
      class: `cal-appt dentist-${this.names.dentistIndex(appt.dentist_id) % 6} status-${appt.status}${short ? ' is-short' : ''}`,
      role: 'listitem', 'aria-label': label, title: label, type: this.onSelect ? 'button' : null,
      dataset: { apptId: String(appt.id) },
      onclick: this.onSelect ? () => this.onSelect(appt) : null,
    }, el('span', { class: 'cal-appt-time', text: short ? this.clock.time(appt.starts_at) : time }),
    el('span', { class: 'cal-appt-what', text: what }), el('span', { class: 'cal-appt-who', text: who }));
    block.style.top = `${(top / SPAN_MIN) * 100}%`;
    block.style.height = `${(Math.max(bottom - top, 15) / SPAN_MIN) * 100}%`;
    block.style.left = `${(lane / lanes) * 100}%`;
    block.style.width = `${100 / lanes}%`;
    return block;
  }
}

/** Assign side-by-side lanes to overlapping items (greedy, per cluster of overlaps). */
function withLanes(items) {
  const sorted = [...items].sort((a, b) => a.start - b.start || b.end - a.end);
  const out = [];
  let cluster = [];
  let clusterEnd = -1;
  const flush = () => {
    const lanes = Math.max(1, ...cluster.map((c) => c.lane + 1));
    for (const c of cluster) out.push({ ...c, lanes });
    cluster = [];
  };
  for (const item of sorted) {
    if (item.start >= clusterEnd) flush();
    const used = new Set(cluster.filter((c) => c.end > item.start).map((c) => c.lane));
    let lane = 0;
    while (used.has(lane)) lane += 1;
    cluster.push({ ...item, lane });
    clusterEnd = Math.max(clusterEnd, item.end);
  }
  flush();
  return out;
}
