import { z } from 'zod'

/** Schema of a scan context coming from outside (JSONL lines, API bodies). */
export const scanContextSchema = z
  .object({
    systemPrompt: z.string().max(1_000_000).optional(),
    canaries: z.array(z.string().min(1).max(10_000)).max(1_000).optional(),
    internalNames: z.array(z.string().min(1).max(10_000)).max(10_000).optional(),
    prompt: z.string().max(10_000_000).optional(),
  })
  .strict()

export type ScanContextInput = z.infer<typeof scanContextSchema>
