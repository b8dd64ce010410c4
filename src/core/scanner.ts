import type { z } from 'zod'
import type { Action, Direction, Finding, ScanContext } from './types.js'
import type { TextViews } from './text-views.js'

/** What a compiled scanner sees on each call besides the text. */
export interface ScanInvocation {
  direction: Direction
  context: ScanContext
  /** Lazily computed normalized views of the text, shared by all scanners of one scan. */
  views: TextViews
}

/** A compiled scanner: regexes compiled and models loaded once, `scan` called per text. */
export interface Scanner {
  /**
   * Returns findings with offsets into `text` (UTF-16). A finding without `action` gets the
   * scanner's configured action; findings scoring under the threshold are dropped by the engine.
   */
  scan(text: string, invocation: ScanInvocation): ScannerFinding[] | Promise<ScannerFinding[]>
}

export type ScannerFinding = Omit<Finding, 'scanner' | 'action'> & { action?: Action }

/** Policy-level settings every scanner gets, whatever its own options. */
export interface ScannerSettings {
  action: Action
  /** Findings scoring below this (0..1) are dropped. */
  threshold: number
}

export interface ScannerDefinition<O extends z.ZodType = z.ZodType> {
  readonly id: string
  readonly description: string
  readonly directions: readonly Direction[]
  /** Used when the policy does not set them. */
  readonly defaults: ScannerSettings
  /** Validates the policy's `options` block for this scanner and gives its type (with defaults). */
  readonly options: O
  create(options: z.output<O>, settings: ScannerSettings): Scanner
}

/** Identity function that gives a scanner definition its types. */
export function defineScanner<O extends z.ZodType>(definition: ScannerDefinition<O>): ScannerDefinition<O> {
  return definition
}

export type AnyScannerDefinition = ScannerDefinition<z.ZodType>
