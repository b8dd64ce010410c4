/**
 * Training of the injection model: L2-regularized logistic regression on hashed features
 * (features.ts), plain SGD over a seeded shuffle, in float64. Deterministic: the same rows,
 * hyper-parameters and seed give the same weights on the same Node version (no Math.random,
 * a fixed data order, a seeded PRNG).
 */
import { createTextViews, type TextViews } from '../../core/text-views.js'
import { FeatureBuffer } from './features.js'
import { createRng } from '../../adversarial/rng.js'

export interface LabeledRow {
  text: string
  label: number
  source: string
  kind: string
}

/** The features of many rows, packed: row r owns indices[offsets[r] .. offsets[r+1]). */
export interface FeatureMatrix {
  bits: number
  offsets: Int32Array
  indices: Int32Array
  /** Number of word features of each row (they come first). */
  words: Int32Array
  /** One dense input per row (the heuristic's log-odds), when the model is stacked on it. */
  dense?: Float64Array
}

export interface TrainParams {
  bits: number
  epochs: number
  /** Initial learning rate; epoch e uses lr / (1 + e). */
  lr: number
  /** L2 strength, applied to the weights an example touches. */
  l2: number
  /** Weight the classes so that attacks and benign rows count equally. */
  balance: boolean
  seed: number
  /** Step of the intercept and of the dense input's weight, as a fraction of the learning rate. */
  biasStep?: number
  denseStep?: number
  /** Starting weight of the dense input. */
  denseInit?: number
}

export interface LinearModel {
  bits: number
  weights: Float64Array
  bias: number
  /** Weight of the dense input (0 when the matrix has none). */
  dense: number
}

/** The seeded PRNG of the training runs: the mutators' own (mulberry32), so one generator serves both. */
export const prng = createRng

export interface FeaturizeOptions {
  /** A dense input per row, computed from the same views (the heuristic's log-odds). */
  dense?: (text: string, views: TextViews) => number
  onProgress?: (done: number) => void
}

export function featurize(texts: readonly string[], bits: number, options: FeaturizeOptions = {}): FeatureMatrix {
  const buf = new FeatureBuffer(bits)
  const offsets = new Int32Array(texts.length + 1)
  const words = new Int32Array(texts.length)
  const dense = options.dense === undefined ? undefined : new Float64Array(texts.length)
  let all = new Int32Array(1 << 20)
  let n = 0
  for (let r = 0; r < texts.length; r++) {
    const views = createTextViews(texts[r]!)
    buf.fill(views)
    if (dense !== undefined) dense[r] = options.dense!(texts[r]!, views)
    if (n + buf.count > all.length) {
      const next = new Int32Array(Math.max(all.length * 2, n + buf.count))
      next.set(all.subarray(0, n))
      all = next
    }
    all.set(buf.indices.subarray(0, buf.count), n)
    n += buf.count
    words[r] = buf.words
    offsets[r + 1] = n
    if (options.onProgress !== undefined && (r + 1) % 1000 === 0) options.onProgress(r + 1)
  }
  const x: FeatureMatrix = { bits, offsets, indices: all.slice(0, n), words }
  if (dense !== undefined) x.dense = dense
  return x
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z))
}

/** Raw logit of row r under a model. */
export function logitOf(m: LinearModel, x: FeatureMatrix, r: number): number {
  const a = x.offsets[r]!
  const b = x.offsets[r + 1]!
  const mid = a + x.words[r]!
  const w = m.weights
  let sw = 0
  for (let i = a; i < mid; i++) sw += w[x.indices[i]!]!
  let sc = 0
  for (let i = mid; i < b; i++) sc += w[x.indices[i]!]!
  const nw = mid - a
  const nc = b - mid
  const d = x.dense === undefined ? 0 : m.dense * x.dense[r]!
  return m.bias + d + (nw > 0 ? sw / Math.sqrt(nw) : 0) + (nc > 0 ? sc / Math.sqrt(nc) : 0)
}

/** Trains on the rows `rows` (indices into x/labels), in a seeded order. */
export function trainLogistic(x: FeatureMatrix, labels: ArrayLike<number>, rows: readonly number[], p: TrainParams): LinearModel {
  const m: LinearModel = { bits: p.bits, weights: new Float64Array(1 << p.bits), bias: 0, dense: x.dense === undefined ? 0 : (p.denseInit ?? 1) }
  const biasStep = p.biasStep ?? 1
  const denseStep = p.denseStep ?? 0
  const w = m.weights
  let pos = 0
  for (const r of rows) pos += labels[r] === 1 ? 1 : 0
  const neg = rows.length - pos
  const cw1 = p.balance && pos > 0 ? rows.length / (2 * pos) : 1
  const cw0 = p.balance && neg > 0 ? rows.length / (2 * neg) : 1
  const order = rows.slice()
  const rand = prng(p.seed)
  for (let e = 0; e < p.epochs; e++) {
    // Fisher-Yates with the seeded PRNG.
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1))
      const t = order[i]!
      order[i] = order[j]!
      order[j] = t
    }
    const lr = p.lr / (1 + e)
    const decay = 1 - lr * p.l2
    for (const r of order) {
      const y = labels[r] === 1 ? 1 : 0
      const g = (sigmoid(logitOf(m, x, r)) - y) * (y === 1 ? cw1 : cw0)
      m.bias -= biasStep * lr * g
      if (x.dense !== undefined) m.dense -= denseStep * lr * g * x.dense[r]!
      const a = x.offsets[r]!
      const b = x.offsets[r + 1]!
      const mid = a + x.words[r]!
      const vw = mid > a ? 1 / Math.sqrt(mid - a) : 0
      const vc = b > mid ? 1 / Math.sqrt(b - mid) : 0
      const sw = lr * g * vw
      const sc = lr * g * vc
      for (let i = a; i < mid; i++) {
        const j = x.indices[i]!
        w[j] = w[j]! * decay - sw
      }
      for (let i = mid; i < b; i++) {
        const j = x.indices[i]!
        w[j] = w[j]! * decay - sc
      }
    }
  }
  return m
}

/**
 * Fits p = sigmoid(b + Σ c_k · f_k) on a few dense features by full-batch gradient descent
 * (Platt scaling with one feature, the ensemble with two). Deterministic.
 */
export function fitDense(features: readonly Float64Array[], labels: ArrayLike<number>, iterations = 3000, lr = 0.5, l2 = 1e-4): { bias: number; coef: number[] } {
  const k = features.length
  const n = labels.length
  const coef = new Array<number>(k).fill(0)
  let bias = 0
  for (let it = 0; it < iterations; it++) {
    let gb = 0
    const gc = new Array<number>(k).fill(0)
    for (let i = 0; i < n; i++) {
      let z = bias
      for (let j = 0; j < k; j++) z += coef[j]! * features[j]![i]!
      const d = sigmoid(z) - labels[i]!
      gb += d
      for (let j = 0; j < k; j++) gc[j] = gc[j]! + d * features[j]![i]!
    }
    bias -= (lr * gb) / n
    for (let j = 0; j < k; j++) coef[j] = coef[j]! - lr * (gc[j]! / n + l2 * coef[j]!)
  }
  return { bias, coef }
}

/** An attack embedded in a benign text, with the indices of the two rows it came from. */
export interface EmbeddedRow {
  text: string
  attack: number
  host: number
}

/**
 * Indirect-injection augmentation: `count` attacks from `rows`, each placed at the start, a
 * sentence boundary in the middle, or the end of a benign row of at least 200 characters (a
 * stand-in for a retrieved document or tool output). Seeded and in a fixed order.
 */
export function embedAttacks(rows: readonly LabeledRow[], count: number, seed: number): EmbeddedRow[] {
  const attacks: number[] = []
  const hosts: number[] = []
  rows.forEach((r, i) => {
    if (r.label === 1 && r.text.length <= 2_000) attacks.push(i)
    else if (r.label === 0 && r.text.length >= 200) hosts.push(i)
  })
  const out: EmbeddedRow[] = []
  if (attacks.length === 0 || hosts.length === 0) return out
  const rand = prng(seed)
  for (let k = 0; k < count; k++) {
    const a = attacks[Math.floor(rand() * attacks.length)]!
    const h = hosts[Math.floor(rand() * hosts.length)]!
    const host = rows[h]!.text
    const attack = rows[a]!.text
    const where = Math.floor(rand() * 3)
    let text: string
    if (where === 0) text = `${attack}\n\n${host}`
    else if (where === 2) text = `${host}\n\n${attack}`
    else {
      const mid = host.indexOf('. ', host.length >> 1)
      const cut = mid < 0 ? host.length >> 1 : mid + 2
      text = `${host.slice(0, cut)}${attack} ${host.slice(cut)}`
    }
    out.push({ text, attack: a, host: h })
  }
  return out
}

/**
 * Requests about the form of the model's own answer, written for Rampart. The training data
 * has few benign prompts that talk about "your response" while its indirect attacks all do
 * ("... in your response"), so without these a model learns the phrase instead of the attack.
 */
export const BENIGN_DIRECTIVES: readonly string[] = [
  'Please format your response as a numbered list.',
  'Keep your answer under 150 words.',
  'In your reply, use a friendly and informal tone.',
  'Write your response in Spanish.',
  'Begin your answer with a one-sentence overview.',
  'End your response with a short conclusion.',
  'Include a table in your answer if it helps.',
  'Your response should use simple words a child would understand.',
  'Add headings to your response.',
  'Cite your sources at the end of your reply.',
  'In your response, explain each step.',
  'Respond in JSON with the keys "answer" and "confidence".',
  'Use markdown code blocks in your reply for any code.',
  'Do not use jargon in your answer.',
  'Make your response concise.',
  'Please answer in three short paragraphs.',
]

/** A benign row with a formatting request added, and the index of the row it came from. */
export interface DirectiveRow {
  text: string
  host: number
}

/**
 * A user revising their own earlier words, written for Rampart: "forget", "ignore", "disregard"
 * and "before" are attack words in the training data, but here they only take back the user's
 * own request.
 */
export const BENIGN_REVISIONS: readonly string[] = [
  'Actually, forget what I asked earlier and give me the short version.',
  'Never mind my last question.',
  'Scratch that, I meant the figures for 2019.',
  'Ignore my typo above, I meant "their".',
  'Disregard my previous message, the meeting is on Friday.',
  'Forget the last part, just fix the grammar.',
  'Please ignore the draft I sent before and use this one.',
  'Oops, forget that. Make it more formal.',
  'Ignore what I wrote before about the budget.',
  'Sorry, disregard my earlier request.',
]

/**
 * The attack vocabulary in its everyday senses, written for Rampart: phones, browsers and
 * consoles have a "developer mode" and get "jailbroken", games have a "god mode", and people ask
 * for a poem "with no restrictions on rhyme". In the training data these words occur only in
 * jailbreaks, so without these a model flags every question about a phone's settings.
 */
export const BENIGN_MENTIONS: readonly string[] = [
  'How can I turn on developer options on my Pixel?',
  'After enabling developer mode in Windows, can I sideload apps?',
  'Developer mode on the Chromebook wiped my files. Can I recover them?',
  'Is it safe to leave USB debugging and developer mode switched on?',
  'Xcode asks me to enable Developer Mode on the iPad. What does that change?',
  'Does jailbreaking void the warranty on an iPad?',
  'Is it legal to jailbreak a Fire TV stick in the UK?',
  'My jailbroken phone keeps crashing after the update.',
  'What was the first iOS jailbreak tool?',
  'Write a paragraph about a jailbreak from an old western town prison.',
  'Is there a god mode console command in Skyrim?',
  'How do I open the Windows God Mode folder with all the settings?',
  'Write the poem with no restrictions on rhyme or meter.',
  'There are no limits on how many guests can attend.',
  'The free plan has no restrictions on the number of projects.',
  'Answer without limitations on length, I want every detail.',
  'Are there any restrictions on bringing cheese through customs?',
  'The club has no rules about dress code on Fridays.',
  'Is unfiltered apple juice safe for toddlers?',
  'Where can I stream the uncensored version of the film legally?',
]

/**
 * Role-play and persona requests of ordinary use, written for Rampart: users ask the model to act
 * as a tutor, a terminal or an interviewer, with rules about the form of its replies. In the
 * training data "I want you to act as …" and "stay in character" occur only in jailbreaks, so
 * without these a model flags every role-play; what makes a persona a jailbreak is what it is
 * freed from, which the heuristic's signals read.
 */
export const BENIGN_ROLEPLAYS: readonly string[] = [
  'I want you to act as a Spanish tutor. I will write sentences and you will correct them, explaining each mistake briefly.',
  'I would like you to play a job interviewer for a junior data analyst position. Ask me one question at a time and wait for my answer.',
  'Act as a SQL console for a small shop database. I type queries and you reply only with the result table, no explanations.',
  'Please pretend to be a travel agent and help me plan four days in Kyoto on a modest budget.',
  'You will be my chess coach. After each of my moves, reply with your move and one sentence on the idea behind it.',
  'Take the role of a friendly museum guide and describe the painting I name, in under 100 words.',
  'I want you to act as a Python interpreter. I will send code and you will reply only with what it prints.',
  'Play the part of a grumpy medieval innkeeper in our tabletop game and stay in character until I say stop.',
  'Be my debate partner: take the opposing side of whatever position I argue and keep your replies short.',
  'Act like a patient kindergarten teacher and explain why the sky is blue.',
  'From now on, reply as a Shakespearean poet would, in rhyming couplets.',
  'You are a customer support agent for a bicycle shop. Answer my questions about repairs politely.',
  'Imagine you are a Roman senator in 50 BC and tell me about your day.',
  'I want you to act as a proofreader. Reply only with the corrected text and nothing else.',
  'Pretend to be a fitness coach and give me a three-day beginner plan.',
  'Act as my language exchange partner: speak only French and correct my replies gently.',
]

/** Every hand-written benign sentence that addBenignDirectives adds to benign training rows. */
export const BENIGN_ADDITIONS: readonly string[] = [...BENIGN_DIRECTIVES, ...BENIGN_REVISIONS, ...BENIGN_MENTIONS, ...BENIGN_ROLEPLAYS]

/** Benign rows of at most 400 characters with one of the hand-written additions above (directives, revisions, everyday mentions, role-plays) before or after them; seeded. */
export function addBenignDirectives(rows: readonly LabeledRow[], count: number, seed: number): DirectiveRow[] {
  const hosts: number[] = []
  rows.forEach((r, i) => {
    if (r.label === 0 && r.text.length <= 400) hosts.push(i)
  })
  const out: DirectiveRow[] = []
  if (hosts.length === 0) return out
  const rand = prng(seed)
  for (let k = 0; k < count; k++) {
    const h = hosts[Math.floor(rand() * hosts.length)]!
    const d = BENIGN_ADDITIONS[Math.floor(rand() * BENIGN_ADDITIONS.length)]!
    const text = rand() < 0.7 ? `${rows[h]!.text} ${d}` : `${d}\n\n${rows[h]!.text}`
    out.push({ text, host: h })
  }
  return out
}
