import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, RampartError } from './errors.js'

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')

describe('error table', () => {
  it('documents every code, with its status, and nothing else', () => {
    const documented = [...doc.matchAll(/^## (RAMPART_ERR_[A-Z_]+)\n(?:Status (\d{3}))?/gm)].map((m) => [m[1], Number(m[2])])
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status])))
  })

  it('carries code, status, path and cause', () => {
    const cause = new Error('root')
    const e = new RampartError('RAMPART_ERR_INPUT_TOO_LARGE', 'too big', { path: 'text', cause })
    expect(e).toMatchObject({ code: 'RAMPART_ERR_INPUT_TOO_LARGE', status: 413, path: 'text', cause })
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'RAMPART_ERR_INPUT_TOO_LARGE', message: 'too big', path: 'text' })
  })
})
