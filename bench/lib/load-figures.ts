/** What one HTTP load row reports, whichever generator made it (autocannon, paced, wrk). */
export interface LoadFigures {
  requestsPerSecond: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  errors: number
  non2xx: number
}
