// `ekm codec-server`: serves Temporal's codec server protocol with the payload codec, so the Web UI (and
// `temporal workflow show --codec-endpoint`) can show decrypted runs. Keys come from the environment only
// (EKM_CODEC_KEYS or EKM_CODEC_KEYS_FILE, EKM_CODEC_KEY_ID), never from a flag: flags show in `ps`.
import type { Command } from 'commander';
import { codecFromEnvironment, CodecKeyError } from '../../codec';
import { OidcVerifier } from '../../codec/oidc';
import { isLoopbackHost, normaliseOrigin, startCodecServer } from '../../codec/server';
import { UsageError, CliError } from '../errors';

interface CodecServerFlags {
  port: string;
  host?: string;
  uiOrigin?: string;
  readOnly?: boolean;
  oidcIssuer?: string;
  oidcAudience?: string;
}

export function registerCodecServer(program: Command): void {
  program
    .command('codec-server')
    .description(
      'decrypt payloads for the Temporal Web UI and CLI (keys from EKM_CODEC_KEYS or EKM_CODEC_KEYS_FILE, EKM_CODEC_KEY_ID)',
    )
    .option('--port <port>', 'port to listen on', '8081')
    .option(
      '--host <address>',
      'address to listen on (default: 127.0.0.1; only with --oidc-issuer may it be another)',
    )
    .option(
      '--ui-origin <url>',
      "the Web UI's origin, the only one browsers may call from (e.g. http://127.0.0.1:8233)",
    )
    .option('--read-only', 'refuse /encode: decode only')
    .option('--oidc-issuer <url>', 'require an access token from this OpenID Connect issuer (production)')
    .option('--oidc-audience <aud>', 'the audience that access token must be for')
    .action(async (flags: CodecServerFlags) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port ${flags.port}: use a whole number from 0 to 65535`);
      if (Boolean(flags.oidcIssuer) !== Boolean(flags.oidcAudience))
        throw new UsageError('--oidc-issuer and --oidc-audience go together');
      const host = flags.host ?? '127.0.0.1';
      if (!flags.oidcIssuer && !isLoopbackHost(host))
        throw new UsageError(
          `--host ${host}: without --oidc-issuer the codec server checks no one's identity, so it listens on loopback only`,
        );
      let uiOrigin: string | undefined;
      try {
        uiOrigin = flags.uiOrigin === undefined ? undefined : normaliseOrigin(flags.uiOrigin);
        if (
          flags.oidcIssuer &&
          !/^https:\/\//.test(flags.oidcIssuer) &&
          !isLoopbackHost(new URL(flags.oidcIssuer).hostname)
        )
          throw new Error(`--oidc-issuer ${flags.oidcIssuer}: use https (plain http only on loopback)`);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      let codec;
      try {
        codec = codecFromEnvironment();
      } catch (err) {
        if (err instanceof CodecKeyError) throw new UsageError(`payload encryption: ${err.message}`);
        throw err;
      }
      if (!codec)
        throw new UsageError(
          'no codec keys: set EKM_CODEC_KEYS (id:base64,…) or EKM_CODEC_KEYS_FILE, and EKM_CODEC_KEY_ID when there are several',
        );
      const verifier = flags.oidcIssuer
        ? new OidcVerifier({ issuer: flags.oidcIssuer, audience: flags.oidcAudience! })
        : undefined;
      let server;
      try {
        server = await startCodecServer({ codec, host, port, uiOrigin, readOnly: flags.readOnly, verifier });
      } catch (err) {
        throw new CliError(`codec server: ${(err as Error).message}`);
      }
      console.log(
        [
          `ekm codec server on ${server.url} (encrypting with key ${codec.currentKeyId})`,
          verifier
            ? `  callers must present an access token from ${flags.oidcIssuer} for audience ${flags.oidcAudience}`
            : '  sandbox mode: no caller authentication, so loopback only (give --oidc-issuer/--oidc-audience in production)',
          uiOrigin
            ? `  browsers allowed from ${uiOrigin} only`
            : '  no --ui-origin: browsers are refused (CLI use only)',
          flags.readOnly ? '  read-only: /encode is refused' : '  /encode and /decode both served',
        ].join('\n'),
      );
      // Runs until the process is stopped; closing lets in-flight requests end cleanly on Ctrl-C.
      await new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      await server.close();
    });
}
