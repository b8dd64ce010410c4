import { z } from 'zod'
import { defineScanner, type ScannerFinding } from '../../core/scanner.js'
import { actionSchema } from '../../core/policy.js'
import { calibrate, compileTopicModel } from './model.js'

const topicSchema = z
  .object({
    /** Shown in findings (`detail.topic`); also part of the topic's vocabulary. */
    name: z.string().min(1),
    /** One or two sentences saying what the topic covers, in its own words. */
    definition: z.string().default(''),
    /** Phrases a user or a model might write on the topic; the more varied, the better the recall. */
    examples: z.array(z.string()).default([]),
    /** Score 0..1 from which a text counts as on the topic; the scanner's `threshold` option when absent. */
    threshold: z.number().min(0).max(1).optional(),
    /** Action for this topic; the scanner's action when absent. */
    action: actionSchema.optional(),
  })
  .strict()
  .refine((t) => t.definition.trim() !== '' || t.examples.some((e) => e.trim() !== ''), {
    message: 'a topic needs a definition or at least one example',
  })

export const deniedTopicsOptionsSchema = z
  .object({
    /** The denied topics; none by default, so the scanner is inert until a policy declares some. */
    topics: z.array(topicSchema).max(200).default([]),
    /** Default per-topic threshold (0..1). */
    threshold: z.number().min(0).max(1).default(0.5),
    /** At most this many findings per topic (one per matching sentence or sentence pair). */
    maxFindingsPerTopic: z.number().int().positive().default(10),
  })
  .strict()

export type DeniedTopicsOptions = z.output<typeof deniedTopicsOptionsSchema>

export const deniedTopics = defineScanner({
  id: 'denied_topics',
  description: 'Detects texts on topics the policy denies, from each topic\'s definition and example phrases (stemmed, rarity-weighted term and pair profiles).',
  directions: ['input', 'output'],
  // Each topic carries its own threshold, applied here; the engine-level threshold stays at 0.
  defaults: { action: 'block', threshold: 0 },
  options: deniedTopicsOptionsSchema,
  create(options) {
    const topics = options.topics
    if (topics.length === 0) return { scan: () => [] }
    const model = compileTopicModel(topics)
    const thresholds = topics.map((t) => t.threshold ?? options.threshold)
    const evidence = new Float64Array(topics.length)
    return {
      scan(_text, invocation) {
        const view = invocation.views.normalized
        const analyzed = model.analyze(view.text)
        if (analyzed.hitCount === 0) return []
        const sentenceCount = analyzed.sentenceCount
        // Score every sentence with hits, then, for topics no single sentence reaches, every pair
        // of neighbouring sentences (a question is often split: "I have a rash. Is it infected?").
        const single = new Float64Array(sentenceCount * topics.length)
        for (let s = 0; s < sentenceCount; s++) {
          model.evidence(analyzed, s, s + 1, evidence)
          for (let t = 0; t < topics.length; t++) single[s * topics.length + t] = calibrate(evidence[t] as number)
        }
        const findings: ScannerFinding[] = []
        const toFinding = (t: number, fromSentence: number, toSentence: number, score: number): ScannerFinding => {
          const span = view.toOriginal(analyzed.sentenceStart[fromSentence] as number, analyzed.sentenceEnd[toSentence - 1] as number)
          const topic = topics[t] as DeniedTopicsOptions['topics'][number]
          const finding: ScannerFinding = { type: 'DENIED_TOPIC', score, start: span.start, end: span.end, detail: { topic: topic.name, threshold: thresholds[t] as number } }
          if (topic.action) finding.action = topic.action
          return finding
        }
        for (let t = 0; t < topics.length; t++) {
          const threshold = thresholds[t] as number
          let count = 0
          for (let s = 0; s < sentenceCount && count < options.maxFindingsPerTopic; s++) {
            const score = single[s * topics.length + t] as number
            if (score > 0 && score >= threshold) {
              findings.push(toFinding(t, s, s + 1, score))
              count++
            }
          }
          if (count > 0) continue
          let best = 0
          let bestAt = -1
          for (let s = 0; s + 1 < sentenceCount; s++) {
            if (single[s * topics.length + t] === 0 || single[(s + 1) * topics.length + t] === 0) continue
            model.evidence(analyzed, s, s + 2, evidence)
            const score = calibrate(evidence[t] as number)
            if (score > best) {
              best = score
              bestAt = s
            }
          }
          if (bestAt >= 0 && best >= threshold) findings.push(toFinding(t, bestAt, bestAt + 2, best))
        }
        return findings
      },
    }
  },
})
