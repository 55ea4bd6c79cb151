// A Jira Service Management SLA value ("Time to first response", "Time to resolution"), as an
// SLA custom field holds it on an issue: `completedCycles` and an `ongoingCycle` of DateDTO
// (`iso8601`, `jira`, `friendly`, `epochMillis`) and DurationDTO (`millis`, `friendly`) values —
// the SlaInformation shape of https://developer.atlassian.com/cloud/jira/service-desk/rest/api-group-request/#api-rest-servicedeskapi-request-issueidorkey-sla-get.
// Calendars are not modelled: elapsed time is wall-clock time.
import type { TimeInput } from './fake-model.js';
import { friendlyDateTime, jiraDateTime, toMillis } from './fake-time.js';

export interface SlaSpec {
  id?: string;
  name: string;
  goalMinutes: number;
  startedAt: TimeInput;
  /** When the cycle stopped (a completed SLA); absent: still running. */
  stoppedAt?: TimeInput;
  paused?: boolean;
  /** The moment the value describes (default now). */
  now?: TimeInput;
}

const dateDto = (ms: number): Record<string, unknown> => ({
  iso8601: jiraDateTime(ms).replace(/\.\d{3}/, ''),
  jira: jiraDateTime(ms),
  friendly: friendlyDateTime(ms),
  epochMillis: ms,
});

const durationDto = (ms: number): Record<string, unknown> => {
  const m = Math.round(Math.abs(ms) / 60_000);
  return { millis: ms, friendly: `${ms < 0 ? '-' : ''}${Math.floor(m / 60)}h ${m % 60}m` };
};

/** The SLA field value for `customFields`, e.g. `{ customfield_10031: slaField({ name: 'Time to resolution', goalMinutes: 480, startedAt }) }`. */
export function slaField(s: SlaSpec): Record<string, unknown> {
  const start = toMillis(s.startedAt);
  const goal = s.goalMinutes * 60_000;
  const breachAt = start + goal;
  const end = s.stoppedAt !== undefined ? toMillis(s.stoppedAt) : toMillis(s.now ?? Date.now());
  const elapsed = end - start;
  const cycle = {
    startTime: dateDto(start),
    breachTime: dateDto(breachAt),
    breached: end > breachAt,
    goalDuration: durationDto(goal),
    elapsedTime: durationDto(elapsed),
    remainingTime: durationDto(goal - elapsed),
  };
  return {
    id: s.id ?? '1',
    name: s.name,
    _links: {},
    completedCycles: s.stoppedAt !== undefined ? [{ ...cycle, stopTime: dateDto(end) }] : [],
    ...(s.stoppedAt === undefined ? { ongoingCycle: { ...cycle, paused: s.paused ?? false, withinCalendarHours: true } } : {}),
  };
}
