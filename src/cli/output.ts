// What a command prints: human text by default, one JSON document with `--json` (for scripts).
// Commands hand it values that hold no secret (endpoints are redacted by the library; message
// contents only behind --show-content), so nothing here needs to scrub.

/** Prints `value` as JSON when `json`, else the text `human(value)` makes. */
export function print<T>(json: boolean | undefined, value: T, human: (value: T) => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
}

/** Text for a byte count: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Text for a TTL in ms: `none` (no expiry), or `3600s`. */
export const formatTtl = (ms: number | null): string => (ms === null || ms < 0 ? 'none' : `${Math.ceil(ms / 1000)}s`);

/** Text for a timestamp in ms since the epoch (ISO 8601), or `-`. */
export const formatTime = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : new Date(ms).toISOString());
