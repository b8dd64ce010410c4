/**
 * California housing (../shared/data/tabular/california_housing.csv) as a binary task for the
 * shield's simulations: is a block group's median house value above the data's median? Balanced
 * classes, eight numeric features and one categorical, and a boundary that is not linear
 * (geography), so a replica needs real work to copy the model.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseCsv } from '../../monitor/io/csv.js'

export const HOUSING_FEATURES = ['longitude', 'latitude', 'housing_median_age', 'total_rooms', 'total_bedrooms', 'population', 'households', 'median_income', 'ocean_proximity'] as const
export const HOUSING_CATEGORICAL = ['ocean_proximity'] as const

export type Row = Record<string, number | string | null>

export interface LabelledData {
  rows: Row[]
  labels: number[]
  threshold: number
}

/** Reads the CSV at `file` (or `<dataDir>/tabular/california_housing.csv`); throws naming the path when it is missing. */
export function loadHousing(dataDir: string): LabelledData {
  const file = join(dataDir, 'tabular', 'california_housing.csv')
  if (!existsSync(file)) throw new Error(`data file not found: ${file} (give the shared data folder, e.g. ../shared/data)`)
  const [header, ...body] = parseCsv(readFileSync(file, 'utf8'))
  if (header === undefined) throw new Error(`${file} is empty`)
  const col = (name: string) => header.indexOf(name)
  const target = col('median_house_value')
  const values = body.filter((r) => r.length === header.length).map((r) => Number(r[target]))
  const sorted = [...values].sort((a, b) => a - b)
  const threshold = sorted[Math.floor(sorted.length / 2)] as number
  const rows: Row[] = []
  const labels: number[] = []
  for (const r of body) {
    if (r.length !== header.length) continue
    const row: Row = {}
    for (const name of HOUSING_FEATURES) {
      const raw = r[col(name)] ?? ''
      row[name] = name === 'ocean_proximity' ? raw : raw === '' ? null : Number(raw)
    }
    rows.push(row)
    labels.push(Number(r[target]) > threshold ? 1 : 0)
  }
  return { rows, labels, threshold }
}
