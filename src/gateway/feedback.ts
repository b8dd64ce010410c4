/**
 * Feedback: operators' verdicts on alerts (true or false positive), kept as labeled data.
 *
 * Which text is labeled: the alert itself keeps only a short excerpt with personal data and
 * secrets redacted, which is not what the detector saw. So when an alert is raised, the full
 * text the scanners scanned is also kept, sealed like every stored text (aad
 * `alert:<id>:text`), and a verdict copies that sealed text: training data is the text the
 * detector saw, byte for byte. Alerts raised before this was kept fall back to their excerpt
 * (`textSource: 'excerpt'`), which the export says.
 *
 * Personal data: the scanned text may hold it. It is sealed at rest; the HTTP API only ever
 * shows it with personal data and secrets redacted (as alert excerpts are); only the operator's
 * `rampart feedback export` writes the text as scanned, unless `--redact-pii` is given.
 *
 * A changed verdict replaces the earlier one (latest wins: an export must carry one label per
 * alert, and the operator's latest judgement is the one to train on); every verdict, first or
 * changed, is an `alert.verdict` entry of the hash-chained audit log with the old and new
 * verdict, which is the history.
 */
import { RampartError } from '../core/errors.js'
import type { AlertRecord, AlertStore, FeedbackStore, Verdict, VerdictFilter, VerdictRecord } from '../store/types.js'
import { alertTextAad, excerptAad, type AlertService, type AuditWriter, type Sealer } from './alert-service.js'

export function verdictNoteAad(id: string): string {
  return `alert:${id}:note`
}

/** A verdict as the API returns it: note opened, text opened (and redacted unless asked otherwise). */
export interface VerdictView extends Omit<VerdictRecord, 'note' | 'text' | 'tenant'> {
  note: string | null
  text: string
}

/** One row of `rampart feedback export` (labeled JSONL). */
export interface FeedbackRow {
  text: string
  /** 1: the alert was right (an attack, for prompt_injection); 0: a false positive. */
  label: 0 | 1
  source: 'feedback'
  alert_id: string
  verdict_at: string
  verdict: Verdict
  /** The scanners that raised the alert: only prompt_injection verdicts are injection training data. */
  scanners: string[]
  direction: string
  /** `scanned` (the full text the scanners saw) or `excerpt` (an older alert: its redacted excerpt). */
  text_source: string
}

export class FeedbackService {
  constructor(
    private readonly deps: {
      store: AlertStore & FeedbackStore
      sealer: Sealer
      audit: AuditWriter
      /** Redacts personal data and secrets for the API (the alert excerpts' redactor). */
      alerts: Pick<AlertService, 'redact'>
    },
  ) {}

  /** Records a verdict on an alert of the tenant; RAMPART_ERR_NOT_FOUND when there is no such alert. */
  async giveVerdict(input: { tenant: string; alertId: string; verdict: Verdict; by: string; note?: string | undefined }): Promise<{ record: VerdictRecord; previous: Verdict | null; alert: AlertRecord }> {
    const alert = await this.deps.store.getAlert(input.tenant, input.alertId)
    if (alert === undefined) throw new RampartError('RAMPART_ERR_NOT_FOUND', `no alert ${input.alertId}`, { path: 'id' })
    const kept = await this.deps.store.getAlertText(input.tenant, input.alertId)
    const { record, previous } = await this.deps.store.putVerdict({
      tenant: input.tenant,
      alertId: alert.id,
      verdict: input.verdict,
      by: input.by,
      at: new Date().toISOString(),
      note: input.note === undefined || input.note === '' ? null : await this.deps.sealer.seal(input.note, verdictNoteAad(alert.id)),
      text: kept?.text ?? alert.excerpt,
      textSource: kept === undefined ? 'excerpt' : 'scanned',
      scanners: alert.scanners,
      alertCreatedAt: alert.createdAt,
    })
    await this.deps.audit.append({
      actor: input.by,
      tenant: input.tenant,
      action: 'alert.verdict',
      target: alert.id,
      detail: { verdict: record.verdict, previous: previous?.verdict ?? null, revision: record.revision, scanners: alert.scanners, textSource: record.textSource },
    })
    return { record, previous: previous?.verdict ?? null, alert }
  }

  /** The stored text of a verdict, as scanned (or the excerpt of an older alert). */
  async openText(record: VerdictRecord): Promise<string> {
    return this.deps.sealer.open(record.text, record.textSource === 'scanned' ? alertTextAad(record.alertId) : excerptAad(record.alertId))
  }

  /** A verdict for the API: note opened, text with personal data and secrets redacted. */
  async view(record: VerdictRecord): Promise<VerdictView> {
    const { tenant: _tenant, note, text: _text, ...rest } = record
    return {
      ...rest,
      note: note === null ? null : await this.deps.sealer.open(note, verdictNoteAad(record.alertId)),
      text: await this.deps.alerts.redact(await this.openText(record)),
    }
  }

  /**
   * Labeled rows for training, newest verdict first: every verdict of the tenant, or only those
   * on alerts raised by `scanner`. `redact` replaces personal data and secrets with placeholders.
   */
  async *exportRows(filter: Omit<VerdictFilter, 'limit' | 'cursor'>, options: { redact?: boolean } = {}): AsyncGenerator<FeedbackRow> {
    let cursor: string | undefined
    do {
      const page = await this.deps.store.listVerdicts({ ...filter, limit: 500, ...(cursor === undefined ? {} : { cursor }) })
      for (const record of page.items) {
        const scanned = await this.openText(record)
        const alert = await this.deps.store.getAlert(record.tenant, record.alertId)
        yield {
          text: options.redact === true ? await this.deps.alerts.redact(scanned) : scanned,
          label: record.verdict === 'true_positive' ? 1 : 0,
          source: 'feedback',
          alert_id: record.alertId,
          verdict_at: record.at,
          verdict: record.verdict,
          scanners: record.scanners,
          direction: alert?.direction ?? 'input',
          text_source: record.textSource,
        }
      }
      cursor = page.nextCursor
    } while (cursor !== undefined)
  }
}
