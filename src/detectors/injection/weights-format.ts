/**
 * The shipped weights file of the injection model (models/injection/weights.bin):
 *
 *   bytes 0-3   "RPIM" magic
 *   bytes 4-7   header length L (uint32, little endian)
 *   bytes 8..   L bytes of UTF-8 JSON (`ModelHeader`), then zero padding to a multiple of 4
 *   then        2^bits int8 weights; weight i = int8[i] * header.scale
 *
 * Encoding is deterministic (fixed key order, no timestamps), so the training command
 * rebuilds the same bytes.
 */

export interface ModelHeader {
  format: 2
  /** log2 of the number of hashed buckets. */
  bits: number
  /** Dequantization scale of the int8 weights. */
  scale: number
  /** Intercept of the raw logit. */
  bias: number
  /**
   * Weight of the heuristic detector's log-odds in the raw logit: the model is stacked on the
   * heuristic, z = bias + heuristic · logit(heuristic score) + Σ w · features.
   */
  heuristic: number
  /** Platt calibration of the raw logit z: p = sigmoid(a·z + b), fitted on leave-one-source-out logits. */
  calibration: { a: number; b: number }
  /**
   * Decision thresholds on the calibrated probability, selected at training time (see
   * MODEL_CARD.md): `model` for the model alone, `ensemble` for the model's side of the
   * ensemble (flagged when the heuristic flags or the model's probability reaches it),
   * `window` for the ensemble's sentence windows, read when the whole text's probability is at
   * least `windowFloor` (windows.ts; `window` absent or above 1: no windows).
   */
  thresholds: { model: number; ensemble: number; window?: number; windowFloor?: number }
  /** Hyper-parameters and data the weights came from (informational). */
  training: Record<string, string | number | boolean>
}

const MAGIC = 0x4d495052 // "RPIM" little endian

export function encodeWeights(header: ModelHeader, weights: Int8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header))
  const headerEnd = 8 + json.length
  const padded = (headerEnd + 3) & ~3
  const out = new Uint8Array(padded + weights.length)
  const dv = new DataView(out.buffer)
  dv.setUint32(0, MAGIC, true)
  dv.setUint32(4, json.length, true)
  out.set(json, 8)
  out.set(new Uint8Array(weights.buffer, weights.byteOffset, weights.length), padded)
  return out
}

export function decodeWeights(bytes: Uint8Array): { header: ModelHeader; weights: Int8Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.byteLength < 8 || dv.getUint32(0, true) !== MAGIC) throw new Error('injection model: not a RPIM weights file')
  const len = dv.getUint32(4, true)
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))) as ModelHeader
  if (header.format !== 2) throw new Error(`injection model: unsupported format ${String(header.format)} (this version reads format 2; retrain with npm run train:injection)`)
  const start = (8 + len + 3) & ~3
  const n = 1 << header.bits
  if (bytes.byteLength !== start + n) throw new Error(`injection model: expected ${start + n} bytes, got ${bytes.byteLength}`)
  return { header, weights: new Int8Array(bytes.buffer, bytes.byteOffset + start, n) }
}

/** Quantizes float weights to int8 with one scale (max |w| maps to 127). */
export function quantize(w: ArrayLike<number>): { weights: Int8Array; scale: number } {
  let max = 0
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i]!))
  const scale = max > 0 ? Math.fround(max / 127) : 1
  const q = new Int8Array(w.length)
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale)))
  return { weights: q, scale }
}
