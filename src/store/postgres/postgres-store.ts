export async function openPostgresStore(_url: string, _options: object): Promise<never> {
  throw new Error('not yet')
}
