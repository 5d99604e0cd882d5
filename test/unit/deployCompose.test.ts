// The production shape without a container engine: docker-compose.yml against the compose spec's JSON
// schema and, where Debian's docker-compose is installed, its own `config`; then the files against each
// other and the code (test/fixtures/deployChecks.ts). Each check is also shown finding a broken copy.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../../sandbox/paths';
import { searchAttributeDeclarations } from '../../common/searchAttributes';
import { deployProblems, loadDeployFiles, type DeployFiles } from '../fixtures/deployChecks';

/** The real files, with `change` applied to a deep copy (the compose file, Dockerfile and mounted files). */
function broken(change: (files: DeployFiles) => void, files = loadDeployFiles(projectRoot)): DeployFiles {
  const copy: DeployFiles = {
    ...structuredClone({ ...files, readFile: undefined }),
    readFile: files.readFile,
  };
  change(copy);
  return copy;
}

function assertFinds(files: DeployFiles, pattern: RegExp): void {
  const problems = deployProblems(files);
  assert.ok(
    problems.some((p) => pattern.test(p)),
    `expected a problem matching ${pattern}, got:\n${problems.join('\n') || '(none)'}`,
  );
}

describe('the production shape (docker-compose.yml, Dockerfile, deploy/)', () => {
  it('validates against the compose schema and agrees with itself and the code', () => {
    assert.deepEqual(deployProblems(loadDeployFiles(projectRoot)), []);
  });

  it('refuses a compose file the schema refuses', () => {
    assertFinds(
      broken((f) => Object.assign(f.compose.services.postgresql!, { healthchek: {} })),
      /services\.postgresql: must NOT have additional properties.*healthchek/,
    );
  });

  it('registers exactly the search attributes common/searchAttributes.ts defines', () => {
    const job = (f: DeployFiles) => f.compose.services['temporal-namespace']!.environment!;
    const declared = searchAttributeDeclarations();
    assertFinds(
      broken((f) => (job(f).EKM_SEARCH_ATTRIBUTES = declared.slice(1).join(' '))),
      new RegExp(`set EKM_SEARCH_ATTRIBUTES: ${declared.join(' ')}`),
    );
    assertFinds(
      broken((f) => (job(f).EKM_SEARCH_ATTRIBUTES = [...declared, 'EkmExtra=Keyword'].join(' '))),
      /defines/,
    );
    assertFinds(
      broken(
        (f) =>
          (job(f).EKM_SEARCH_ATTRIBUTES = declared.map((d) => d.replace('KeywordList', 'Keyword')).join(' ')),
      ),
      /defines/,
    );
  });

  it("checks every mounted worker configuration with parseWorkerConfig, under the worker's --role", () => {
    const files = loadDeployFiles(projectRoot);
    const withConfig = (text: string) => ({
      ...files,
      readFile: (p: string) => (p === 'deploy/worker.json' ? text : files.readFile(p)),
    });
    const config = JSON.parse(files.readFile('deploy/worker.json')) as Record<string, unknown>;
    // The mutating worker serves every gate: without the rotate gate's policy it refuses to start.
    const { approvals } = config as { approvals: { gates: Record<string, unknown> } };
    const noRotate = {
      ...config,
      approvals: { ...approvals, gates: { ...approvals.gates, rotate: undefined } },
    };
    assertFinds(withConfig(JSON.stringify(noRotate)), /--role mutating.*approvals\.gates\.rotate/);
    assertFinds(
      withConfig(JSON.stringify({ ...config, mutatingTaskQueue: undefined })),
      /mutatingTaskQueue: is required/,
    );
    assertFinds(withConfig('{ "taskQueue": '), /not JSON/);
    assertFinds(
      broken((f) => (f.compose.services['ekm-worker-mutating']!.command = ['--role', 'read'])),
      /not one read and one mutating/,
    );
  });

  it('keeps the two workers on separate credentials, and the evidence key with the read worker only', () => {
    assertFinds(
      broken(
        (f) => (f.compose.services['ekm-worker-mutating']!.env_file = ['./secrets/ekm-read-worker.env']),
      ),
      /share an env_file/,
    );
    assertFinds(
      broken((f) => f.compose.services['ekm-worker-mutating']!.secrets!.push('ekm-evidence-signing-key')),
      /holds the evidence-signing key/,
    );
  });

  it('builds only Dockerfile targets that exist, on slim Debian Node 24, as a user other than root', () => {
    assertFinds(
      broken((f) => (f.compose.services['ekm-worker-read']!.build!.target = 'workers')),
      /builds Dockerfile target workers, which the Dockerfile lacks/,
    );
    assertFinds(
      broken((f) => (f.dockerfile = f.dockerfile.replace('node:24-bookworm-slim', 'node:24-alpine'))),
      /not a slim Debian Node 24 image/,
    );
    assertFinds(
      broken((f) => (f.dockerfile = f.dockerfile.replace(/^USER node$/m, ''))),
      /runs as root/,
    );
    assertFinds(
      broken(
        (f) => (f.dockerfile = f.dockerfile.replace('ENV EKM_BUILD_ID=${EKM_BUILD_ID}', 'ENV EKM_BUILD=x')),
      ),
      /does not set EKM_BUILD_ID/,
    );
  });

  it('keeps ports and health checks consistent', () => {
    assertFinds(
      broken(
        (f) => (f.dockerfile = f.dockerfile.replace('127.0.0.1:8080/healthz', '127.0.0.1:8090/healthz')),
      ),
      /HEALTHCHECK does not ask :8080\/healthz/,
    );
    assertFinds(
      broken((f) => (f.prometheus.scrape_configs[0]!.static_configs[0]!.targets = ['ekm-worker-read:9100'])),
      /job ekm-workers scrapes/,
    );
    assertFinds(
      broken(
        (f) =>
          (f.compose.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT = 'http://localhost:8082'),
      ),
      /not the codec server's port 8081/,
    );
    assertFinds(
      broken((f) => delete f.compose.services.postgresql!.healthcheck),
      /waits for postgresql to be healthy, but postgresql has no healthcheck/,
    );
    assertFinds(
      broken((f) => delete f.compose.services['codec-server']!.network_mode),
      /must stay on the host loopback/,
    );
    // After the merge of telemetry: a worker configuration serving metrics elsewhere than Prometheus asks.
    const files = loadDeployFiles(projectRoot);
    const config = JSON.parse(files.readFile('deploy/worker.json')) as object;
    const elsewhere = JSON.stringify({ ...config, telemetry: { metrics: { bindAddress: '0.0.0.0:9100' } } });
    assertFinds(
      { ...files, readFile: (p) => (p === 'deploy/worker.json' ? elsewhere : files.readFile(p)) },
      /telemetry\.metrics\.bindAddress is not on port 9464/,
    );
  });

  it('has a Grafana dashboard on the provisioned Prometheus datasource', () => {
    assertFinds(
      broken((f) => (f.dashboard.panels[0]!.datasource = { uid: 'other' })),
      /uses another datasource/,
    );
  });

  describe("Debian's docker-compose config (no engine needed)", () => {
    const installed = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;

    /** A project directory laid out as the README tells a team: .env and secrets/ from the examples. */
    function teamProject(): string {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ekm-compose-'));
      fs.copyFileSync(path.join(projectRoot, 'docker-compose.yml'), path.join(dir, 'docker-compose.yml'));
      fs.cpSync(path.join(projectRoot, 'deploy'), path.join(dir, 'deploy'), { recursive: true });
      fs.cpSync(path.join(projectRoot, 'deploy/secrets.example'), path.join(dir, 'secrets'), {
        recursive: true,
      });
      const env = fs.readFileSync(path.join(projectRoot, 'deploy/compose.env.example'), 'utf8');
      fs.writeFileSync(
        path.join(dir, '.env'),
        env.replace(/^POSTGRES_PASSWORD=$/m, 'POSTGRES_PASSWORD=test-only'),
      );
      return dir;
    }
    const config = (dir: string, ...args: string[]) =>
      spawnSync('docker-compose', [...args, 'config', '--quiet'], {
        cwd: dir,
        encoding: 'utf8',
        timeout: 60_000,
      });

    before(function () {
      // Installed by `apt-get install docker-compose` (1.29.2 in Debian 12); the schema check above runs anyway.
      if (!installed) this.skip();
    });

    it('accepts the file with every profile, from a project laid out as docs/deploy.md says', () => {
      const dir = teamProject();
      for (const args of [[], ['--profile', 'monitoring', '--profile', 'cli']]) {
        const run = config(dir, ...args);
        assert.equal(run.status, 0, `docker-compose ${args.join(' ')} config: ${run.stderr}`);
      }
    });

    it('refuses a broken file, an unset password and missing credentials', () => {
      const dir = teamProject();
      const file = path.join(dir, 'docker-compose.yml');
      const good = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, good.replace('condition: service_healthy', 'condition: service_ready'));
      assert.match(config(dir).stderr, /service_ready/);
      fs.writeFileSync(file, good);
      fs.writeFileSync(path.join(dir, '.env'), 'EKM_BUILD_ID=x\n');
      assert.match(config(dir).stderr, /set POSTGRES_PASSWORD in \.env/);
      fs.rmSync(path.join(dir, 'secrets'), { recursive: true });
      fs.writeFileSync(path.join(dir, '.env'), 'EKM_BUILD_ID=x\nPOSTGRES_PASSWORD=y\n');
      assert.match(config(dir).stderr, /ekm-read-worker\.env/);
    });
  });
});
