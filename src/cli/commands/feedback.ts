/**
 * `rampart alerts verdict ID --verdict …` and `rampart feedback export --out FILE.jsonl`, on the
 * store directly (gateway/feedback.ts does the work, as behind the HTTP routes).
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { z } from 'zod'
import { MAX_ADDED_CHARS } from '../../detectors/injection/training/data.js'
import { TENANT_PATTERN } from '../../gateway/api-keys.js'
import { AlertService } from '../../gateway/alert-service.js'
import { FeedbackService } from '../../gateway/feedback.js'
import { VERDICTS } from '../../store/types.js'
import { writeLine } from '../io.js'
import { parseFlags, withBackends } from './gateway.js'

const tenant = z.string().regex(TENANT_PATTERN).default('default')

export async function runVerdict(id: string, flags: Record<string, unknown>): Promise<number> {
  const { verdict, note, tenant: t, json, ...rest } = parseFlags(
    z.looseObject({ verdict: z.enum(VERDICTS), note: z.string().max(2_000).optional(), tenant, json: z.boolean().default(false) }),
    flags,
  )
  return withBackends(rest, async ({ store, envelope, audit }) => {
    const alerts = new AlertService({ store, sealer: envelope, audit })
    const feedback = new FeedbackService({ store, sealer: envelope, audit, alerts })
    const { record, previous } = await feedback.giveVerdict({ tenant: t, alertId: id, verdict, by: 'cli', note })
    if (json) {
      await writeLine(JSON.stringify({ ...(await feedback.view(record)), previous }, null, 2))
    } else {
      const change = previous === null ? '' : previous === verdict ? ` (unchanged, revision ${record.revision})` : ` (was ${previous}, revision ${record.revision})`
      await writeLine(`alert ${id}: ${verdict}${change}; labels the ${record.textSource === 'scanned' ? 'scanned text' : "alert's redacted excerpt (no scanned text was kept for it)"}`)
    }
    return 0
  })
}

export async function runFeedbackExport(flags: Record<string, unknown>): Promise<number> {
  const { out, tenant: t, scanner, verdict, since, redactPii, maxChars, ...rest } = parseFlags(
    z.looseObject({
      out: z.string().min(1),
      tenant,
      scanner: z.string().min(1).max(100).default('prompt_injection'),
      verdict: z.enum(VERDICTS).optional(),
      since: z.iso.datetime({ offset: true }).optional(),
      redactPii: z.boolean().default(false),
      maxChars: z.coerce.number().int().min(1).default(MAX_ADDED_CHARS),
    }),
    flags,
  )
  return withBackends(rest, async ({ store, envelope, audit }) => {
    const alerts = new AlertService({ store, sealer: envelope, audit })
    const feedback = new FeedbackService({ store, sealer: envelope, audit, alerts })
    // Labeled texts in clear: only the owner may read the file.
    const stream: NodeJS.WritableStream = out === '-' ? process.stdout : createWriteStream(out, { mode: 0o600 })
    const counts = { rows: 0, positive: 0, negative: 0, excerpts: 0, long: 0 }
    try {
      const filter = { tenant: t, ...(scanner === 'all' ? {} : { scanner }), ...(verdict === undefined ? {} : { verdict }), ...(since === undefined ? {} : { since }) }
      for await (const row of feedback.exportRows(filter, { redact: redactPii })) {
        // Left out whole rather than cut: a cut text is not what the detector saw.
        if (row.text.length > maxChars) {
          counts.long++
          continue
        }
        await writeLine(JSON.stringify(row), stream)
        counts.rows++
        if (row.label === 1) counts.positive++
        else counts.negative++
        if (row.text_source === 'excerpt') counts.excerpts++
      }
    } finally {
      if (out !== '-') await new Promise<void>((resolve, reject) => (stream as WriteStream).end((error?: Error | null) => (error ? reject(error) : resolve())))
    }
    await audit.append({ actor: 'cli', tenant: t, action: 'feedback.export', target: null, detail: { rows: counts.rows, scanner, redacted: redactPii } })
    process.stderr.write(
      `rampart: wrote ${counts.rows} labeled row(s) (${counts.positive} true positive, ${counts.negative} false positive${counts.excerpts > 0 ? `; ${counts.excerpts} from redacted excerpts of alerts raised before texts were kept` : ''}) to ${out === '-' ? 'stdout' : out}${redactPii ? '' : ' — texts as scanned, in clear'}${counts.long > 0 ? `; left out ${counts.long} text(s) longer than ${maxChars} characters (--max-chars)` : ''}\n`,
    )
    return 0
  })
}
