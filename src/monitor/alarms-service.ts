/**
 * Alarms against the store: reads a series, runs the pure state machine (alarms.ts), records a
 * transition with a compare-and-set (so of several replicas evaluating the same alarm only one
 * records — and notifies — a given change), then hands it to the notifier.
 */
import { randomUUID } from 'node:crypto'
import type { AlarmHistoryRecord, AlarmRecord, AlarmStore, MetricSeriesStore } from '../store/types.js'
import { evaluateAlarm, evaluationRange, type Evaluation } from './alarms.js'

export interface AlarmTransition {
  alarm: AlarmRecord
  history: AlarmHistoryRecord
  evaluation: Evaluation
}

export interface AlarmLogger {
  error(obj: Record<string, unknown>, msg: string): void
}

export interface AlarmServiceOptions {
  store: AlarmStore & MetricSeriesStore
  /** Called once per recorded transition of an alarm with actions enabled (webhooks, alerts). */
  notify?: (transition: AlarmTransition) => Promise<void>
  /** Called for every recorded transition (audit, metrics), actions enabled or not. */
  onTransition?: (transition: AlarmTransition) => Promise<void>
  logger?: AlarmLogger
}

export class AlarmService {
  constructor(private readonly options: AlarmServiceOptions) {}

  /** Evaluates one alarm at `now`; returns the transition it recorded, if any. */
  async evaluate(alarm: AlarmRecord, now: Date): Promise<AlarmTransition | undefined> {
    const span = evaluationRange(alarm.evaluationPeriods) * alarm.periodSeconds * 1000
    const points = await this.options.store.queryMetric({
      tenant: alarm.tenant,
      scheduleId: alarm.scheduleId,
      name: alarm.metricName,
      since: new Date(now.getTime() - span).toISOString(),
      until: now.toISOString(),
    })
    const evaluation = evaluateAlarm(alarm, alarm.state, points, now)
    if (!evaluation.changed) return undefined
    const history: AlarmHistoryRecord = {
      id: randomUUID(),
      tenant: alarm.tenant,
      alarmId: alarm.id,
      at: now.toISOString(),
      oldState: alarm.state,
      newState: evaluation.state,
      reason: evaluation.reason,
      reasonData: evaluation.reasonData,
    }
    if (!(await this.options.store.transitionAlarm(history))) return undefined
    const transition: AlarmTransition = {
      alarm: { ...alarm, state: evaluation.state, stateReason: evaluation.reason, stateUpdatedAt: history.at },
      history,
      evaluation,
    }
    // The transition is recorded; a failing side effect is logged, never undoes it.
    for (const [hook, name] of [[this.options.onTransition, 'onTransition'], [alarm.actionsEnabled ? this.options.notify : undefined, 'notify']] as const) {
      if (hook === undefined) continue
      try {
        await hook(transition)
      } catch (error) {
        this.options.logger?.error({ alarmId: alarm.id, err: (error as Error).message, hook: name }, 'alarm state change side effect failed')
      }
    }
    return transition
  }

  /** Evaluates the alarms of one schedule (after its run) or of every tenant (the periodic pass). */
  async evaluateAll(now: Date, scope: { tenant: string; scheduleId: string } | undefined = undefined): Promise<AlarmTransition[]> {
    const alarms = scope === undefined ? await this.options.store.listAlarms() : await this.options.store.listAlarms(scope.tenant, scope.scheduleId)
    const out: AlarmTransition[] = []
    for (const alarm of alarms) {
      try {
        const t = await this.evaluate(alarm, now)
        if (t !== undefined) out.push(t)
      } catch (error) {
        this.options.logger?.error({ alarmId: alarm.id, err: (error as Error).message }, 'alarm evaluation failed')
      }
    }
    return out
  }
}
