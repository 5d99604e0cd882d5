// The Temporal schema in PostgreSQL, as the admin tools' one-shot job sets it up: each database created
// and given the base schema once (remembered in the state folder), then brought to the server's version
// by update-schema on every start (a no-op when it is current, a migration after a server upgrade).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TemporalServerTools } from '../tools/temporalServerBuild';
import type { PostgresServer } from './postgres';
import { temporalDatabase, visibilityDatabase } from './serverConfig';

const schemaFolders = { [temporalDatabase]: 'temporal', [visibilityDatabase]: 'visibility' } as const;

export function setUpSchema(tools: TemporalServerTools, postgres: PostgresServer, stateDir: string): void {
  const stampFile = path.join(stateDir, 'schema.json');
  const created = new Set<string>(
    fs.existsSync(stampFile)
      ? (JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { created: string[] }).created
      : [],
  );
  for (const [database, folder] of Object.entries(schemaFolders)) {
    // Connection settings through the tool's environment: the password stays out of the process list.
    const env = {
      ...process.env,
      SQL_PLUGIN: 'postgres12',
      SQL_HOST: '127.0.0.1',
      SQL_PORT: String(postgres.port),
      SQL_USER: postgres.user,
      SQL_PASSWORD: postgres.password,
      SQL_DATABASE: database,
    };
    const sqlTool = (args: string[], what: string, tolerate?: RegExp) => {
      const result = spawnSync(tools.sqlTool, args, { env, encoding: 'utf8' });
      const output = `${result.stdout}${result.stderr}`;
      if (result.status !== 0 && !(tolerate && tolerate.test(output))) {
        throw new Error(
          `temporal-sql-tool ${what} of ${database} failed (${result.status ?? result.signal}):\n${output}`,
        );
      }
    };
    if (!created.has(database)) {
      sqlTool(['create-database', '--defaultdb', 'postgres'], 'create-database', /already exists/);
      sqlTool(['setup-schema', '-v', '0.0'], 'setup-schema', /already exists/);
      created.add(database);
      fs.writeFileSync(stampFile, JSON.stringify({ created: [...created] }, null, 2));
    }
    sqlTool(
      ['update-schema', '-d', path.join(tools.postgresSchemaDir, folder, 'versioned')],
      'update-schema',
    );
  }
}
