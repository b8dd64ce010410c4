import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'threads',
    testTimeout: 30_000,
    // Setup and teardown start servers and drop PostgreSQL schemas; on a loaded 2-core machine that can pass 10 s.
    hookTimeout: 60_000,
  },
})
