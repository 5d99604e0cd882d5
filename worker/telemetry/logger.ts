// The worker's log: every line the process writes — its own messages, the SDK's worker, workflow and
// activity loggers, and Core's forwarded logs — one JSON object a line (pino), or a text line for a person.
import { format } from 'node:util';
import type { Logger, LogLevel, LogMetadata } from '@temporalio/common';
import pino from 'pino';
import type { LogLevelName, TelemetryConfig } from '../telemetryConfig';

const sdkLevel: Record<LogLevelName, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
};
const rank: Record<LogLevel, number> = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };

/** A Temporal Logger over pino (json) or plain lines (text), dropping what is below `level`. */
export class WorkerLogger implements Logger {
  readonly level: LogLevel;
  private readonly json?: pino.Logger;

  constructor(
    options: TelemetryConfig['logs'],
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {
    this.level = sdkLevel[options.level];
    if (options.format === 'json')
      this.json = pino(
        {
          level: options.level,
          base: { service: 'ekm-worker', pid: process.pid },
          timestamp: pino.stdTimeFunctions.isoTime,
          // The level's name ("warn"), not pino's number: what a collector's parser and a person expect.
          formatters: { level: (label) => ({ level: label }) },
        },
        { write: (line: string) => this.write(line) },
      );
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    if (rank[level] < rank[this.level]) return;
    const fields = plainFields(meta);
    if (this.json) this.json[level.toLowerCase() as LogLevelName](fields, message);
    else
      this.write(
        `${new Date().toISOString()} ${level.padEnd(5)} ${message}${Object.keys(fields).length ? ` ${safeJson(fields)}` : ''}\n`,
      );
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** The metadata's string keys (the SDK adds a symbol-keyed timestamp), errors as their message and stack. */
function plainFields(meta: LogMetadata | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta ?? {}))
    fields[key] = value instanceof Error ? { message: value.message, stack: value.stack } : value;
  return fields;
}

function safeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Sends console output and Node's warnings through the logger, so a library that prints (or a
 * console.warn of the worker's own) cannot break a JSON log stream with a line that is not JSON.
 */
export function routeConsoleTo(logger: Logger): void {
  console.log = (...args: unknown[]) => logger.info(format(...args));
  console.info = console.log;
  console.debug = (...args: unknown[]) => logger.debug(format(...args));
  console.warn = (...args: unknown[]) => logger.warn(format(...args));
  console.error = (...args: unknown[]) => logger.error(format(...args));
  // Node's own warnings (a deprecation, the AWS SDK's Node version notice) as warnings, not errors.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => logger.warn(warning.message, { warning: warning.name }));
}
