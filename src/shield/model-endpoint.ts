/**
 * A classical model behind HTTP, as the predict proxy calls it: `POST url` with
 * `{ "instances": [features, …] }`, answered by `{ "predictions": [p, …] }` where each prediction is
 * the class probabilities as an array, an object `{ "probabilities": [...] | {class: p} }`, or, for
 * a binary model, the positive class's probability as a number (TensorFlow Serving's and Vertex
 * AI's shape; SageMaker and KServe containers answer it with a thin adapter).
 */
import { Agent, errors as undiciErrors, request } from 'undici'
import { RampartError } from '../core/errors.js'
import type { FeatureInput } from './features.js'

export interface ModelEndpointOptions {
  name: string
  url: string
  apiKey?: string | undefined
  timeoutMs: number
  classes?: readonly string[] | undefined
  onError?: (kind: string) => void
}

export class ModelEndpoint {
  readonly #agent: Agent

  constructor(private readonly options: ModelEndpointOptions) {
    this.#agent = new Agent({ connections: 64, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs })
  }

  /** Class probabilities for each instance, in order. */
  async predict(instances: readonly FeatureInput[]): Promise<number[][]> {
    const { name, url } = this.options
    let status: number
    let text: string
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.#agent,
        headers: { 'content-type': 'application/json', accept: 'application/json', ...(this.options.apiKey === undefined ? {} : { authorization: `Bearer ${this.options.apiKey}` }) },
        body: JSON.stringify({ instances }),
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (error) {
      if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
        this.options.onError?.('timeout')
        throw new RampartError('RAMPART_ERR_UPSTREAM_TIMEOUT', `model ${name} did not answer within ${this.options.timeoutMs} ms`, { path: 'model', cause: error })
      }
      this.options.onError?.('connect')
      throw new RampartError('RAMPART_ERR_UPSTREAM', `model ${name} failed: ${(error as Error).message}`, { path: 'model', cause: error })
    }
    if (status >= 400) {
      this.options.onError?.('status')
      throw new RampartError('RAMPART_ERR_UPSTREAM', `model ${name} answered ${status}: ${text.slice(0, 300)}`, { path: 'model' })
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch (cause) {
      this.options.onError?.('protocol')
      throw new RampartError('RAMPART_ERR_UPSTREAM', `model ${name} answered with a body that is not JSON`, { path: 'model', cause })
    }
    const predictions = (body as { predictions?: unknown })?.predictions
    if (!Array.isArray(predictions) || predictions.length !== instances.length) {
      this.options.onError?.('protocol')
      throw new RampartError('RAMPART_ERR_UPSTREAM', `model ${name} must answer { predictions: [...] } with one prediction per instance (${instances.length})`, { path: 'model' })
    }
    return predictions.map((p, i) => toProbabilities(p, this.options.classes, `model ${name} predictions[${i}]`))
  }

  async close(): Promise<void> {
    await this.#agent.close()
  }
}

/** One prediction as class probabilities (normalized to sum 1); throws RAMPART_ERR_UPSTREAM on other shapes. */
export function toProbabilities(p: unknown, classes: readonly string[] | undefined, where: string): number[] {
  let values: unknown = p
  if (typeof p === 'number') values = [1 - p, p]
  else if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
    const o = p as Record<string, unknown>
    values = o.probabilities ?? o.scores
    if (values !== null && typeof values === 'object' && !Array.isArray(values)) {
      const byName = values as Record<string, unknown>
      if (classes === undefined) throw new RampartError('RAMPART_ERR_UPSTREAM', `${where}: probabilities by class name need the model's classes in its configuration`, { path: 'model' })
      values = classes.map((c) => byName[c] ?? 0)
    }
  }
  if (!Array.isArray(values) || values.length < 2 || values.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0)) {
    throw new RampartError('RAMPART_ERR_UPSTREAM', `${where}: expected class probabilities (an array of non-negative numbers, an object with "probabilities", or a binary probability)`, { path: 'model' })
  }
  if (classes !== undefined && values.length !== classes.length) {
    throw new RampartError('RAMPART_ERR_UPSTREAM', `${where}: ${values.length} probabilities for ${classes.length} classes`, { path: 'model' })
  }
  const sum = (values as number[]).reduce((a, b) => a + b, 0)
  if (sum <= 0) throw new RampartError('RAMPART_ERR_UPSTREAM', `${where}: probabilities sum to 0`, { path: 'model' })
  return (values as number[]).map((v) => v / sum)
}
