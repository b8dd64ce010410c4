import { describe, expect, it } from 'vitest'
import { createGuard } from '../guard.js'
import { SseParser, StreamGuard } from './stream-guard.js'

describe('StreamGuard', () => {
  it('never releases a canary, even one token at a time', async () => {
    const guard = await createGuard()
    const canary = 'ZX-CANARY-0042-ABCD'
    const g = new StreamGuard((t) => guard.scanOutput(t, { canaries: [canary] }), { holdback: canary.length + 1, scanEvery: 8 })
    const text = `${'Plenty of harmless words come first. '.repeat(4)}then ${canary} and the rest`
    let released = ''
    let blocked = false
    for (let i = 0; i < text.length; i += 2) {
      const step = await g.push(text.slice(i, i + 2))
      released += step.release
      if (step.blocked) {
        blocked = true
        break
      }
    }
    if (!blocked) blocked = (await g.finish()).blocked !== undefined
    expect(blocked).toBe(true)
    expect(released).toContain('harmless words')
    expect(released).not.toContain(canary.slice(0, 6))
  })

  it('appends text behind a read without scanning it, and scans it with the next push; a canary split over appends is still cut', async () => {
    const guard = await createGuard()
    const canary = 'ZX-CANARY-0042-ABCD'
    const scanned: string[] = []
    const g = new StreamGuard((t) => (scanned.push(t), guard.scanOutput(t, { canaries: [canary] })), { holdback: canary.length + 1, scanEvery: 8 })
    const intro = 'Plenty of harmless words come first. '.repeat(4)
    // A read of eight events: seven appended, the last pushed; one scan over all of it.
    const events = intro.match(/.{1,20}/gs)!
    for (const e of events.slice(0, -1)) g.append(e)
    expect(scanned).toHaveLength(0)
    const step = await g.push(events.at(-1)!)
    expect(scanned).toEqual([intro])
    expect(intro.startsWith(step.release)).toBe(true)
    // The canary arrives over the next read's events: nothing of it is released before the scan that blocks.
    g.append('then ZX-CAN')
    g.append('ARY-0042-A')
    const next = await g.push('BCD and the rest')
    expect(next.blocked ?? (await g.finish()).blocked).toBeDefined()
    expect(step.release + next.release).not.toContain('ZX-CAN')
    expect(scanned.at(-1)).toContain(canary)
  })

  it('releases everything, in order, when nothing is found', async () => {
    const guard = await createGuard()
    const g = new StreamGuard((t) => guard.scanOutput(t), { holdback: 16, scanEvery: 5 })
    const text = 'The quick brown fox jumps over the lazy dog, twice, for good measure.'
    let out = ''
    for (const ch of text) out += (await g.push(ch)).release
    out += (await g.finish()).release
    expect(out).toBe(text)
  })

  it('redacts personal data in the stream with one placeholder per value', async () => {
    const guard = await createGuard()
    const g = new StreamGuard((t) => guard.scanOutput(t), { holdback: 64, scanEvery: 4 })
    const text = 'Write to anna.berg@example.org today. Again: anna.berg@example.org.'
    let out = ''
    for (let i = 0; i < text.length; i += 3) out += (await g.push(text.slice(i, i + 3))).release
    out += (await g.finish()).release
    expect(out).not.toContain('anna.berg@example.org')
    expect(out.match(/\[EMAIL_1\]/g)?.length).toBe(2)
  })
})

describe('SseParser', () => {
  it('splits events across arbitrary chunk boundaries', () => {
    const p = new SseParser()
    const stream = 'data: {"a":1}\n\ndata: {"b":2}\r\n\r\n: comment\n\ndata: [DONE]\n\n'
    const out: string[] = []
    for (let i = 0; i < stream.length; i += 3) out.push(...p.push(stream.slice(i, i + 3)))
    out.push(...p.flush())
    expect(out).toEqual(['{"a":1}', '{"b":2}', '[DONE]'])
  })
})

describe('StreamGuard scan schedule', () => {
  it('scans a long reply a number of times that grows with its length, not with its length squared, and releases it whole', async () => {
    const guard = await createGuard()
    let scans = 0
    let scanned = 0
    const g = new StreamGuard(
      (t) => {
        scans++
        scanned += t.length
        return guard.scanOutput(t)
      },
      { holdback: 64, scanEvery: 48 },
    )
    const text = 'A long and harmless answer about gardening, soil and seasons. '.repeat(64)
    let out = ''
    for (let i = 0; i < text.length; i += 16) out += (await g.push(text.slice(i, i + 16))).release
    out += (await g.finish()).release
    expect(out).toBe(text)
    // A scan every 48 characters would be ~84 scans reading ~170,000 characters.
    expect(scans).toBeLessThanOrEqual(16)
    expect(scanned).toBeLessThan(40_000)
  })

  it('does not scan while the reply is shorter than the holdback plus a step', async () => {
    const guard = await createGuard()
    let scans = 0
    const g = new StreamGuard(
      (t) => {
        scans++
        return guard.scanOutput(t)
      },
      { holdback: 64, scanEvery: 48 },
    )
    for (const chunk of 'Short and sweet answer, nothing more to add here today. '.match(/.{1,8}/g)!) expect((await g.push(chunk)).release).toBe('')
    expect(scans).toBe(0)
    expect((await g.finish()).release).toBe('Short and sweet answer, nothing more to add here today. ')
    expect(scans).toBe(1)
  })
})
