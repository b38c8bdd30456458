// Starts cache-worker.ts processes and talks to them: send a command, await the next line with a
// given event. Every worker is killed at the end of its test.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Worker {
  send(command: object): void;
  next(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): void;
  exited: Promise<number | null>;
}

export function startWorker(config: object): Worker {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/cache/fixtures/cache-worker.ts', JSON.stringify(config)],
    { stdio: 'pipe' },
  );
  const lines: Record<string, unknown>[] = [];
  const waiting: (() => void)[] = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiting.splice(0)) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    send: (command) => child.stdin.write(`${JSON.stringify(command)}\n`),
    next: async (event, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = lines.findIndex((l) => l.event === event);
        if (index >= 0) return lines.splice(index, 1)[0]!;
        if (Date.now() > deadline) throw new Error(`worker sent no "${event}" within ${timeoutMs} ms; stderr: ${stderr}`);
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    kill: () => child.kill('SIGKILL'),
    exited,
  };
}
