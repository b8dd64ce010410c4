/**
 * HyperLogLog distinct-count sketch (Flajolet et al. 2007) with linear counting for small
 * cardinalities (Heule et al. 2013). 2^p one-byte registers; standard error ≈ 1.04 / √(2^p)
 * (1.6 % at the default p = 12). Merging takes the register-wise maximum.
 */
export class HyperLogLog {
  readonly p: number
  readonly registers: Uint8Array

  constructor(p = 12, registers?: Uint8Array) {
    if (!Number.isInteger(p) || p < 4 || p > 16) throw new RangeError('HyperLogLog: p must be an integer in 4..16')
    this.p = p
    this.registers = registers ?? new Uint8Array(1 << p)
    if (this.registers.length !== 1 << p) throw new RangeError('HyperLogLog: register count does not match p')
  }

  /** Adds a 32-bit hash. */
  add(hash: number): void {
    const index = hash >>> (32 - this.p)
    const rest = (hash << this.p) >>> 0
    // Rank of the first 1 bit among the remaining 32 − p bits (32 − p + 1 when they are all 0).
    const rank = rest === 0 ? 32 - this.p + 1 : Math.clz32(rest) + 1
    if (rank > (this.registers[index] as number)) this.registers[index] = rank
  }

  merge(other: HyperLogLog): void {
    if (other.p !== this.p) throw new RangeError('HyperLogLog: cannot merge sketches of different precision')
    for (let i = 0; i < this.registers.length; i++) if ((other.registers[i] as number) > (this.registers[i] as number)) this.registers[i] = other.registers[i] as number
  }

  estimate(): number {
    const m = this.registers.length
    let sum = 0
    let zeros = 0
    for (let i = 0; i < m; i++) {
      const r = this.registers[i] as number
      sum += 2 ** -r
      if (r === 0) zeros++
    }
    const alpha = 0.7213 / (1 + 1.079 / m)
    const raw = (alpha * m * m) / sum
    if (raw <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros)
    const two32 = 4294967296
    if (raw > two32 / 30) return -two32 * Math.log(1 - raw / two32)
    return raw
  }

  toJSON(): { p: number; registers: string } {
    return { p: this.p, registers: Buffer.from(this.registers).toString('base64') }
  }

  static fromJSON(json: { p: number; registers: string }): HyperLogLog {
    return new HyperLogLog(json.p, new Uint8Array(Buffer.from(json.registers, 'base64')))
  }
}
