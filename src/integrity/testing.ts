/** Seeded synthetic datasets for the integrity tests: small, learnable, with known structure. */
import type { CellValue } from './readers.js'
import { rng } from './sparse.js'

const TOPICS = {
  weather: 'rain snow wind storm cloud sunny forecast cold warm humid frost thunder breeze drizzle fog heat chill degrees temperature pressure'.split(' '),
  sports: 'match goal team coach league score player season striker keeper tournament final win loss referee stadium fans transfer pitch trophy'.split(' '),
  cooking: 'recipe oven flour sugar butter bake simmer garlic onion pepper salt dough sauce roast grill spice whisk pan boil taste'.split(' '),
}
const SHARED = 'the a of and to in on for with today this that very really just about after before more most some every'.split(' ')

/** Short texts about weather (label 0), sports (1) or cooking (2): 70 % topic words, 30 % shared. */
export function topicTexts(rows: number, seed: number, classes = 2): Record<string, CellValue>[] {
  const random = rng(seed)
  const topics = Object.values(TOPICS).slice(0, classes)
  const out: Record<string, CellValue>[] = []
  for (let i = 0; i < rows; i++) {
    const label = i % classes
    const words = topics[label] as string[]
    const len = 8 + Math.floor(random() * 8)
    const text = Array.from({ length: len }, () => (random() < 0.7 ? words : SHARED)[Math.floor(random() * (random() < 0.7 ? words.length : SHARED.length))] ?? 'the').join(' ')
    out.push({ id: i, text, label })
  }
  return out
}

/** Two Gaussian classes in four numeric columns plus a categorical column tied loosely to the class. */
export function blobTable(rows: number, seed: number): Record<string, CellValue>[] {
  const random = rng(seed)
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const out: Record<string, CellValue>[] = []
  for (let i = 0; i < rows; i++) {
    const cls = i % 2
    const shift = cls === 0 ? -1.5 : 1.5
    out.push({
      a: (shift + gauss()).toFixed(3),
      b: (shift + gauss()).toFixed(3),
      c: (gauss() * 2).toFixed(3),
      d: (10 + gauss()).toFixed(3),
      region: random() < 0.7 ? (cls === 0 ? 'north' : 'south') : random() < 0.5 ? 'east' : 'west',
      label: cls === 0 ? 'no' : 'yes',
    })
  }
  return out
}
