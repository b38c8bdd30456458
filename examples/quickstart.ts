// Quickstart: connects to REDIS_URL, or starts a throwaway local Redis 8 when it is unset, checks
// the server with doctor() and shows the key scheme. Run with `npm run demo`.
import { findRedisServer, startRedis } from '../scripts/local-redis.js';
import { createAgentMemory, formatDoctorReport } from '../src/index.js';

const local = process.env.REDIS_URL ? null : await startRedis(findRedisServer(8)!);
const url = process.env.REDIS_URL ?? local!.url;
console.log(local ? `Started a throwaway Redis ${local.version} at ${url}\n` : `Using REDIS_URL\n`);

const memory = await createAgentMemory({ redis: { url }, prefix: 'demo' });
try {
  console.log('doctor():');
  console.log(formatDoctorReport(await memory.doctor()));

  const alice = memory.keys.user({ tenant: 'acme', userId: 'alice' });
  console.log(`\nEvery key of one user shares the hash tag ${alice.tag}, so it lives on one cluster slot:`);
  for (const [what, key] of Object.entries(alice.session('support-chat'))) console.log(`  ${what.padEnd(12)} ${key}`);

  try {
    memory.keys.user({ userId: 'bob}:*' });
  } catch (error) {
    console.log(`\nA bad id is refused before anything reaches Redis:\n  ${(error as Error).name}: ${(error as Error).message}`);
  }
} finally {
  await memory.close();
  await local?.stop();
}
