/**
 * Attack mutations: turn one attack into a variant that keeps its meaning but changes its
 * surface — encoded, disguised letter by letter, or framed (role-play, hypothetical, split,
 * hidden in a document or a tool result). Used to augment detector training and to measure
 * robustness as recall per family (`rampart mutate`, `rampart eval`, bench/injection.ts).
 *
 * Deterministic: a variant is a pure function of the text, the family and the generator's
 * state, so a seeded generator (`keyedRng`) reproduces every variant bit for bit.
 *
 * ```ts
 * import { mutate, MUTATION_FAMILIES, keyedRng } from './adversarial/mutate.js'
 * for (const family of MUTATION_FAMILIES) mutate(attack, family, keyedRng(42, rowId, family))
 * ```
 */
import * as o from './obfuscations.js'
import type { Rng, TemplatePool } from './rng.js'
import * as w from './wrappers.js'

export { createRng, keyedRng, type Rng, type TemplatePool } from './rng.js'

/** Every mutation family, in a stable order (encodings, then character tricks, then framings). */
export const MUTATION_FAMILIES = [
  'base64',
  'hex',
  'rot13',
  'url',
  'leetspeak',
  'homoglyphs',
  'zero_width',
  'tag_chars',
  'spacing',
  'markdown',
  'casing',
  'punctuation',
  'roleplay',
  'hypothetical',
  'payload_split',
  'json_split',
  'html_comment',
  'retrieved_document',
  'tool_output',
] as const

export type MutationFamily = (typeof MUTATION_FAMILIES)[number]

/** How a family changes the attack: its bytes (encoding), its letters (characters), or its frame. */
export type MutationGroup = 'encoding' | 'characters' | 'framing'

export interface MutationFamilyInfo {
  readonly group: MutationGroup
  readonly description: string
  readonly apply: (text: string, rng: Rng, pool: TemplatePool) => string
}

export const MUTATION_FAMILY_INFO: Readonly<Record<MutationFamily, MutationFamilyInfo>> = {
  base64: { group: 'encoding', description: 'UTF-8 bytes in base64 (standard or URL-safe), usually after a "decode this" sentence', apply: o.base64 },
  hex: { group: 'encoding', description: 'UTF-8 bytes in hex: plain, spaced, \\x-escaped or 0x-prefixed', apply: o.hex },
  rot13: { group: 'encoding', description: 'letters rotated by 13', apply: o.rot13 },
  url: { group: 'encoding', description: 'URL (percent) encoding, of the reserved characters or of every byte', apply: o.url },
  leetspeak: { group: 'characters', description: 'letters replaced by look-alike digits and symbols (4, 3, 1, 0, 5, 7, @, $, !)', apply: o.leetspeak },
  homoglyphs: { group: 'characters', description: 'Latin letters replaced by Cyrillic or Greek look-alikes', apply: o.homoglyphs },
  zero_width: { group: 'characters', description: 'zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM) between letters', apply: o.zeroWidth },
  tag_chars: { group: 'characters', description: 'the attack in invisible Unicode tag characters, next to a harmless visible sentence', apply: o.tagChars },
  spacing: { group: 'characters', description: 'letters spaced out (i g n o r e) or words split (ign ore)', apply: o.spacing },
  markdown: { group: 'characters', description: 'markdown around words (**bold**, `code`, _italic_), a code fence or a block quote', apply: o.markdown },
  casing: { group: 'characters', description: 'random, alternating, upper or inverted case', apply: o.casing },
  punctuation: { group: 'characters', description: 'dotted letters (i.g.n.o.r.e), words joined by _ . - +, or stray punctuation between words', apply: o.punctuation },
  roleplay: { group: 'framing', description: 'the attack as a line of a character the model is asked to play', apply: w.roleplay },
  hypothetical: { group: 'framing', description: 'the attack inside a story, thought experiment or "hypothetically"', apply: w.hypothetical },
  payload_split: { group: 'framing', description: 'the attack cut into 2–4 fragments (inside words) that the model is asked to join and follow', apply: w.payloadSplit },
  json_split: { group: 'framing', description: 'the attack cut across the fields of a JSON object, with an instruction to join them', apply: w.jsonSplit },
  html_comment: { group: 'framing', description: 'the attack in an HTML comment of an otherwise harmless page', apply: w.htmlComment },
  retrieved_document: { group: 'framing', description: 'the attack inside an email, README, web page or knowledge-base document (indirect injection)', apply: w.retrievedDocument },
  tool_output: { group: 'framing', description: 'the attack inside a field of a JSON tool result (indirect injection)', apply: w.toolOutput },
}

export function isMutationFamily(name: string): name is MutationFamily {
  return Object.hasOwn(MUTATION_FAMILY_INFO, name)
}

export interface MutateOptions {
  /**
   * The half of the text templates (carrier sentences, personas, documents, join instructions)
   * to draw from: augment training with `train`, measure with `test`, so that a detector is not
   * scored on templates it memorized. Default `all`. Character-level styles are not split.
   */
  pool?: TemplatePool
}

export const TEMPLATE_POOLS = ['all', 'train', 'test'] as const

/**
 * One variant of `text` in `family`. Deterministic for a given generator state and pool;
 * consumes a family-dependent number of draws from `rng`.
 */
export function mutate(text: string, family: MutationFamily, rng: Rng, options: MutateOptions = {}): string {
  const info = MUTATION_FAMILY_INFO[family]
  if (info === undefined) throw new Error(`unknown mutation family "${String(family)}"; known: ${MUTATION_FAMILIES.join(', ')}`)
  return info.apply(text, rng, options.pool ?? 'all')
}
