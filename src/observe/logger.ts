// The library's one way to say something that is not an answer to a call: work done in the
// background that failed (an access count, a write-back, a partition registration) and advice (the
// flat engine past its size). Pino-shaped, so pino, bunyan-style and console-backed loggers plug in.
// It never receives message contents, keys or secrets: fields are counts, names and error codes.
import { z } from 'zod';
import { AgentMemoryError } from '../errors.js';

/** What a log call carries besides its message: names, counts, and the error (as `err`, pino's convention). */
export type LogFields = Record<string, unknown>;

/**
 * A pino-compatible logger: each level takes an object of fields first, then the message
 * (`logger.warn({ component: 'tiered', err }, 'could not write back')`). A pino logger, or a
 * `pino().child({ lib: 'agent-memory' })`, is one as it is.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export const LoggerSchema = z.custom<Logger>(
  (v) => typeof v === 'object' && v !== null && LEVELS.every((level) => typeof (v as Record<string, unknown>)[level] === 'function'),
  'must be a logger with debug, info, warn and error methods (pino-compatible: fields first, then the message)',
);

/**
 * The default: quiet except warnings and errors, which become process warnings
 * (`process.emitWarning`: Node prints them on stderr unless run with `--no-warnings`), as before
 * there was a logger option.
 */
export const processWarningLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (fields, message) => emit(fields, message),
  error: (fields, message) => emit(fields, message),
};

function emit(fields: LogFields, message: string): void {
  const err = fields.err;
  const cause = err instanceof Error ? ` (${err instanceof AgentMemoryError ? `${err.code}: ` : ''}${err.message})` : '';
  process.emitWarning(`redis-agent-memory: ${message}${cause}`, typeof fields.warning === 'string' ? fields.warning : 'Warning');
}

/** `error` as a log's `err` field: an Error as it is (pino serializes it), anything else wrapped. */
export const asErr = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
