import type { Alert, AlertView } from '../model/alert.js';
import type { GroupRef, Notification, NotificationKind } from '../model/notification.js';
import type { Intent } from './lifecycle.js';
import type { AlertPolicy } from './policy.js';
import type { Grouping, RouteTree } from './routes.js';

export interface RoutingContext {
  routes: RouteTree;
  /**
   * Receivers that exist, with whether they want resolve notifications and whether a grouping
   * route may tell them alerts in groups (not PagerDuty: one incident per alert).
   */
  receivers: ReadonlyMap<string, ReceiverInfo>;
  now: number;
  correlationId?: string;
}

export interface ReceiverInfo {
  sendResolved: boolean;
  groups?: boolean;
}

/** Kinds that join a group when the route groups; the others (acknowledged, escalated) go alone. */
const GROUPED_KINDS: ReadonlySet<NotificationKind> = new Set(['firing', 'resolved', 'repeat', 'flapping']);

/** The group an alert falls in under a route's grouping. */
export function groupOf(alert: Pick<Alert, 'name' | 'severity' | 'labels'>, g: Grouping): GroupRef {
  const all: Record<string, string> = { ...alert.labels, alertname: alert.name, severity: alert.severity };
  const labels: Record<string, string> = {};
  for (const k of g.by) labels[k] = all[k] ?? '';
  const key = `${g.route}|${g.by.map((k) => `${k}=${labels[k]}`).join(',')}`;
  const ref: GroupRef = { key, labels, waitMs: g.waitMs, intervalMs: g.intervalMs };
  if (g.repeatMs !== undefined) ref.repeatMs = g.repeatMs;
  return ref;
}

/** What a receiver is told about an alert: a frozen copy of the parts that matter for rendering. */
export function alertView(
  a: Alert,
  status: 'firing' | 'resolved' = a.status === 'resolved' ? 'resolved' : 'firing',
): AlertView {
  const v: AlertView = {
    fingerprint: a.fingerprint,
    name: a.name,
    status,
    severity: a.severity,
    labels: a.labels,
    annotations: a.annotations,
    startsAt: a.startsAt,
    occurrences: a.occurrences,
  };
  if (a.rule) v.rule = a.rule;
  if (a.links) v.links = a.links;
  if (a.value !== undefined) v.value = a.value;
  if (a.threshold !== undefined) v.threshold = a.threshold;
  if (a.op !== undefined) v.op = a.op;
  if (a.unit !== undefined) v.unit = a.unit;
  if (a.firingAt !== undefined) v.firingAt = a.firingAt;
  if (a.endsAt !== undefined && status === 'resolved') v.endsAt = a.endsAt;
  if (a.flapping) v.flapping = true;
  if (a.acknowledged) v.acknowledged = a.acknowledged;
  return v;
}

/**
 * Turns the life cycle's intents into one notification per receiver. Firing-side intents go to
 * the rule's own receivers or the route tree; a resolve goes to every receiver that was told the
 * alert fired (and wants resolves), whatever the routes say now. Each notification gets its place
 * in the alert's thread at that receiver (`after`: the one before it), and the fallback of the routes the alert
 * matches. Updates `alert.notified` and `alert.told`.
 */
export function route(
  alert: Alert,
  intents: readonly Intent[],
  policy: AlertPolicy,
  ctx: RoutingContext,
): Notification[] {
  const out: Notification[] = [];
  const destination = ctx.routes.destinationOf(alert);
  const own = policy.receivers?.filter((r) => ctx.receivers.has(r));
  // A receiver the rule names itself groups as the route the alert matches would.
  const groupingOf = (receiver: string, kind: NotificationKind) =>
    GROUPED_KINDS.has(kind) && ctx.receivers.get(receiver)?.groups !== false
      ? (destination.grouping?.[receiver] ?? (own?.length ? destination.routeGrouping : undefined))
      : undefined;
  for (const intent of intents) {
    let targets: string[];
    if (intent.kind === 'resolved' || intent.kind === 'expired') {
      // Only receivers that still exist: a removed one has no delivery worker to take the job.
      // A grouped receiver hears every resolve, so that its group lets the alert go (and tells
      // it only if the receiver wants resolves); a quiet expiry only lets it go.
      targets = alert.notified.filter((r) => {
        const grouped = ctx.receivers.has(r) && groupingOf(r, 'resolved') !== undefined;
        return intent.kind === 'expired' ? grouped : grouped || ctx.receivers.get(r)?.sendResolved === true;
      });
      alert.notified = [];
    } else if (intent.kind === 'acknowledged') {
      // Those told it fires hear who took it (a PagerDuty incident is acknowledged).
      targets = alert.notified.filter((r) => ctx.receivers.has(r));
    } else {
      targets =
        intent.kind === 'escalated'
          ? intent.receivers.filter((r) => ctx.receivers.has(r))
          : (own && own.length > 0 ? own : destination.receivers).filter((r) => ctx.receivers.has(r));
      alert.notified = [...new Set([...alert.notified, ...targets])];
    }
    // A flapping notice shows the state the alert is in (it may start flapping on a resolve).
    const view = alertView(
      alert,
      intent.kind === 'resolved' || intent.kind === 'expired'
        ? 'resolved'
        : intent.kind === 'flapping'
          ? undefined
          : 'firing',
    );
    const kind: NotificationKind =
      intent.kind === 'raised' ? 'firing' : intent.kind === 'expired' ? 'resolved' : intent.kind;
    const tag = intent.kind === 'escalated' ? `escalated${intent.step}` : intent.kind;
    for (const receiver of targets) {
      const n: Notification = {
        id: `${alert.fingerprint}.${alert.version}.${tag}.${receiver}`,
        receiver,
        kind,
        alerts: [view],
        thread: alert.fingerprint,
        createdAt: ctx.now,
      };
      const grouping = groupingOf(receiver, kind);
      if (grouping) {
        // Told as part of its group's next message, not on its own thread.
        n.group = groupOf(alert, grouping);
        if (intent.kind === 'expired') n.group.quiet = true;
      } else {
        const after = alert.told?.[receiver];
        if (after !== undefined) n.after = after;
        alert.told = { ...alert.told, [receiver]: n.id };
      }
      if (intent.kind === 'raised') n.raisedFrom = intent.from;
      if (intent.kind === 'escalated') n.step = intent.step;
      const fallback = destination.fallback?.receivers.filter((r) => r !== receiver && ctx.receivers.has(r));
      if (destination.fallback && fallback && fallback.length > 0)
        n.fallback = { receivers: fallback, afterMs: destination.fallback.afterMs };
      if (ctx.correlationId) n.correlationId = ctx.correlationId;
      out.push(n);
    }
  }
  return out;
}
