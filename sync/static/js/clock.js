// Clinic time: every time on the pages is shown in the clinic's IANA zone, whatever the
// browser's zone. Days are plain 'YYYY-MM-DD' keys in that zone.

const LOCALE = 'en-GB';

export class ClinicClock {
  constructor(timeZone) {
    this.timeZone = timeZone;
    this._parts = new Intl.DateTimeFormat('en-CA', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    this._time = new Intl.DateTimeFormat(LOCALE, { timeZone, hour: '2-digit', minute: '2-digit' });
    this._dateTime = new Intl.DateTimeFormat(LOCALE, {
      timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit',
    });
    this._day = new Intl.DateTimeFormat(LOCALE, {
      timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    });
    this._date = new Intl.DateTimeFormat(LOCALE, {
      timeZone, weekday: 'long', day: 'numeric', month: 'long',
    });
  }

  /** {day: 'YYYY-MM-DD', minutes: minutes since local midnight} of an instant. */
  local(instant) {
    const p = Object.fromEntries(
      this._parts.formatToParts(new Date(instant)).map((x) => [x.type, x.value]),
    );
    return { day: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
  }

  today() {
    return this.local(Date.now()).day;
  }

  time(instant) {
    return this._time.format(new Date(instant));
  }

  dateTime(instant) {
    return this._dateTime.format(new Date(instant));
  }

  /** 'Tue 1 Dec 2026' */
  day(instant) {
    return this._day.format(new Date(instant));
  }

  longDate(instant) {
    return this._date.format(new Date(instant));
  }
}

const DAY_FORMAT = new Intl.DateTimeFormat(LOCALE, {
  timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short',
});
const WEEKDAY_FORMAT = new Intl.DateTimeFormat(LOCALE, { timeZone: 'UTC', weekday: 'short' });

function noonUtc(day) {
  return new Date(`${day}T12:00:00Z`);
}

export function addDays(day, n) {
  const d = noonUtc(day);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Monday of the week containing `day`. */
export function weekStart(day) {
  const isoDow = noonUtc(day).getUTCDay() || 7;
  return addDays(day, 1 - isoDow);
}

export function dayLabel(day) {
  return DAY_FORMAT.format(noonUtc(day));
}

export function weekdayLabel(day) {
  return WEEKDAY_FORMAT.format(noonUtc(day));
}
